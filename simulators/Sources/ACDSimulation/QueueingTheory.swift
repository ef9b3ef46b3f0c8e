import Foundation

/// Erlang C (M/M/c) and Erlang A (M/M/c+M): what queueing theory predicts for one skill, Poisson arrivals and
/// exponential handle times, without and with (exponentially impatient) abandonment.
public enum QueueingTheory {
    public struct ErlangC: Sendable, Hashable {
        /// Probability that a contact waits at all.
        public var probabilityOfWaiting: Double
        /// Average speed of answer, seconds.
        public var averageSpeedOfAnswer: Double
        /// Share answered within the target, percent.
        public var serviceLevelPercent: Double
        public var occupancyPercent: Double
    }

    /// `arrivalsPerSecond` λ, `meanHandleSeconds` 1/μ, `agents` c, SL target `targetSeconds`. Nil when the
    /// offered load reaches the agents (the queue grows without bound).
    public static func erlangC(arrivalsPerSecond lambda: Double, meanHandleSeconds: Double, agents: Int, targetSeconds: Double) -> ErlangC? {
        let mu = 1 / meanHandleSeconds
        let load = lambda / mu
        let c = Double(agents)
        guard agents > 0, load < c else { return nil }
        // Erlang B by the stable recursion, then C from B.
        var b = 1.0
        for k in 1...agents { b = load * b / (Double(k) + load * b) }
        let waiting = b / (1 - (load / c) * (1 - b))
        let rate = c * mu - lambda
        return ErlangC(
            probabilityOfWaiting: waiting,
            averageSpeedOfAnswer: waiting / rate,
            serviceLevelPercent: 100 * (1 - waiting * exp(-rate * targetSeconds)),
            occupancyPercent: 100 * load / c)
    }

    public struct ErlangA: Sendable, Hashable {
        public var probabilityOfWaiting: Double
        /// Share of arrivals that abandon, percent.
        public var abandonPercent: Double
        /// Mean time in queue of all arrivals, answered or abandoned, seconds.
        public var averageWait: Double
        public var occupancyPercent: Double
    }

    /// Erlang A with patience rate θ = 1 / `meanPatienceSeconds`, from the birth-death chain's stationary
    /// distribution (states above c sum until their terms vanish).
    public static func erlangA(arrivalsPerSecond lambda: Double, meanHandleSeconds: Double, agents: Int, meanPatienceSeconds: Double) -> ErlangA {
        let mu = 1 / meanHandleSeconds
        let theta = 1 / meanPatienceSeconds
        let c = Double(agents)
        // Unnormalised stationary probabilities of 0...c busy agents, then of 1, 2, ... waiting.
        var weights: [Double] = [1]
        for k in stride(from: 1, through: agents, by: 1) { weights.append(weights[k - 1] * lambda / (Double(k) * mu)) }
        let atC = weights[agents]
        var queueWeights: [Double] = []
        var term = atC
        var j = 1
        while true {
            term *= lambda / (c * mu + Double(j) * theta)
            queueWeights.append(term)
            if term < atC * 1e-14 || j > 1_000_000 { break }
            j += 1
        }
        let total = weights.reduce(0, +) + queueWeights.reduce(0, +)
        let waiting = (atC + queueWeights.reduce(0, +)) / total
        // E[queue] = Σ j π(c+j); abandonment flux θ E[queue]; by Little, E[wait of all] = E[queue] / λ.
        let queueLength = queueWeights.enumerated().reduce(0) { $0 + Double($1.offset + 1) * $1.element } / total
        let abandoned = theta * queueLength / lambda
        // Busy agents: Σ min(k, c) π(k); occupancy = E[busy] / c.
        let busy = (weights.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element } + c * queueWeights.reduce(0, +)) / total
        // Little's law on the queue: the mean time in queue of all arrivals, answered or abandoned.
        let meanWait = queueLength / lambda
        return ErlangA(
            probabilityOfWaiting: waiting, abandonPercent: 100 * abandoned, averageWait: meanWait,
            occupancyPercent: 100 * busy / c)
    }
}
