/// The identifier an agent has in the CRM and on the desktop protocol.
public struct AgentID: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public static func < (lhs: AgentID, rhs: AgentID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// The identifier the core gives a contact when it accepts it; unique for the engine's lifetime.
public struct ContactID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: ContactID, rhs: ContactID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "c\(rawValue)" }
}

/// The media of a contact; each has its own capacity on an agent.
public enum Channel: Int, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case voice = 0, chat, email, callback

    public init?(name: String) {
        switch name {
        case "voice": self = .voice
        case "chat": self = .chat
        case "email": self = .email
        case "callback": self = .callback
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .voice: "voice"
        case .chat: "chat"
        case .email: "email"
        case .callback: "callback"
        }
    }
}

/// How many contacts of each channel an agent may hold at once (offered, connected or in wrap-up).
public struct ChannelCapacity: Hashable, Sendable {
    public var voice: Int
    public var chat: Int
    public var email: Int
    public var callback: Int

    public init(voice: Int = 1, chat: Int = 3, email: Int = 2, callback: Int = 1) {
        self.voice = voice
        self.chat = chat
        self.email = email
        self.callback = callback
    }

    public subscript(channel: Channel) -> Int {
        get {
            switch channel {
            case .voice: voice
            case .chat: chat
            case .email: email
            case .callback: callback
            }
        }
        set {
            switch channel {
            case .voice: voice = newValue
            case .chat: chat = newValue
            case .email: email = newValue
            case .callback: callback = newValue
            }
        }
    }

    public static let maximumPerChannel = 32
}
