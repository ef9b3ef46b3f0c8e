import Foundation
import RoutingCore

/// A random duration or amount: `{distribution: exponential, mean: 240}`, `{distribution: lognormal, mean: 300,
/// sd: 200}`, `{distribution: constant, mean: 10}`, `{distribution: uniform, min: 0, max: 1}`.
public enum Distribution: Decodable, Sendable, Hashable {
    case constant(Double)
    case exponential(mean: Double)
    /// Parameterised by the mean and standard deviation of the values themselves, not of their logarithm.
    case lognormal(mean: Double, sd: Double)
    case uniform(min: Double, max: Double)

    enum CodingKeys: String, CodingKey { case distribution, mean, sd, min, max }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .distribution)
        func positive(_ key: CodingKeys) throws -> Double {
            let value = try c.decode(Double.self, forKey: key)
            guard value >= 0, value.isFinite else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be a number >= 0")
            }
            return value
        }
        switch kind {
        case "constant": self = .constant(try positive(.mean))
        case "exponential": self = .exponential(mean: try positive(.mean))
        case "lognormal": self = .lognormal(mean: try positive(.mean), sd: try positive(.sd))
        case "uniform":
            let low = try positive(.min), high = try positive(.max)
            guard low <= high else {
                throw DecodingError.dataCorruptedError(forKey: .max, in: c, debugDescription: "max must be >= min")
            }
            self = .uniform(min: low, max: high)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .distribution, in: c,
                debugDescription: "unknown distribution '\(kind)': constant, exponential, lognormal or uniform")
        }
    }

    public var mean: Double {
        switch self {
        case .constant(let value): value
        case .exponential(let mean): mean
        case .lognormal(let mean, _): mean
        case .uniform(let low, let high): (low + high) / 2
        }
    }

    public var isExponential: Bool {
        if case .exponential = self { true } else { false }
    }

    func sample(_ random: inout SplitMix64) -> Double {
        switch self {
        case .constant(let value):
            return value
        case .exponential(let mean):
            return -mean * log(random.unitOpen())
        case .lognormal(let mean, let sd):
            guard mean > 0 else { return 0 }
            let sigma2 = log(1 + (sd * sd) / (mean * mean))
            let mu = log(mean) - sigma2 / 2
            return exp(mu + sqrt(sigma2) * random.standardNormal())
        case .uniform(let low, let high):
            return low + (high - low) * random.unit()
        }
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Uniform in (0, 1]: safe under a logarithm.
    mutating func unitOpen() -> Double { 1 - unit() }

    mutating func standardNormal() -> Double {
        sqrt(-2 * log(unitOpen())) * cos(2 * Double.pi * unit())
    }

    /// A key of `shares` picked with its probability; nil for the remainder up to 1.
    mutating func pick(_ shares: [String: Double]) -> String? {
        var draw = unit()
        for key in shares.keys.sorted() {
            draw -= shares[key]!
            if draw < 0 { return key }
        }
        return nil
    }
}
