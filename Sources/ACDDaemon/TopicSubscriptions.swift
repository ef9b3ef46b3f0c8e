/// Which event topics have at least one subscriber, kept from the (un)subscription messages the XPUB socket
/// passes up, so that the daemon skips sending under a topic nobody wants. libzmq would drop such a message
/// anyway, but only after it was built, queued to the I/O thread and matched there: with an event going out
/// under two or three topics, most of the sends of a busy daemon were for nobody.
///
/// ZeroMQ subscriptions are prefixes: `agent.` matches every `agent.<id>`, `agent.a1` matches `agent.a12` too.
/// Topics come in families (`all`, `agent.`, `contact.`, `system`, `stats.`); per family two counts answer
/// almost every question without hashing: subscriptions covering the whole family (a prefix of its root, such
/// as `agent.` or the empty one), and subscriptions inside it (such as `agent.a12`).
struct TopicSubscriptions {
    /// Without `ZMQ_XPUB_VERBOSE` the socket passes a prefix up once when its first subscriber comes and once
    /// when its last one leaves, so a set is exact. Bytes, as libzmq matches them.
    private var prefixes: Set<[UInt8]> = []
    private var families: [Family]

    private struct Family {
        var root: [UInt8]
        var covering = 0
        var inside = 0
    }

    init(families roots: [String]) {
        families = roots.map { Family(root: Array($0.utf8)) }
    }

    var isEmpty: Bool { prefixes.isEmpty }

    /// Applies one message from the XPUB socket; false when it is not a (un)subscription.
    @discardableResult
    mutating func apply(_ message: [UInt8]) -> Bool {
        guard let flag = message.first, flag <= 1 else { return false }
        let prefix = Array(message.dropFirst())
        let delta: Int
        if flag == 1 {
            guard prefixes.insert(prefix).inserted else { return true }
            delta = 1
        } else {
            guard prefixes.remove(prefix) != nil else { return true }
            delta = -1
        }
        for index in families.indices {
            if families[index].root.starts(with: prefix) {
                families[index].covering += delta
            } else if prefix.starts(with: families[index].root) {
                families[index].inside += delta
            }
        }
        return true
    }

    /// Whether some subscription wants the topic. A family nobody subscribes in, or one somebody subscribes to
    /// whole, answers without the topic's bytes being built for the question.
    func wants(_ topic: EventTopic) -> Bool {
        guard !prefixes.isEmpty else { return false }
        let family = families[topic.family]
        if family.covering > 0 { return true }
        if family.inside == 0 { return false }
        return wants(topic.bytes)
    }

    /// Whether some subscription is a prefix of `topic` (its bytes).
    func wants(_ bytes: [UInt8]) -> Bool {
        guard !prefixes.isEmpty else { return false }
        var checkedUpTo = -1
        for family in families where bytes.starts(with: family.root) {
            if family.covering > 0 { return true }
            if family.inside == 0 { return false }
            checkedUpTo = family.root.count
            break
        }
        // Only subscriptions longer than the family's root can still match: try each longer prefix of the topic.
        var length = checkedUpTo + 1
        while length <= bytes.count {
            if prefixes.contains(Array(bytes[..<length])) { return true }
            length += 1
        }
        return false
    }
}
