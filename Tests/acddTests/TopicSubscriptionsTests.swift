@testable import ACDDaemon
import RoutingCore
import Testing

extension TopicSubscriptions {
    func wants(_ topic: String) -> Bool { wants(Array(topic.utf8)) }
}

@Suite struct TopicSubscriptionsTests {
    private func subscriptions(_ prefixes: String...) -> TopicSubscriptions {
        var subscriptions = TopicSubscriptions(families: EventTopics.families)
        for prefix in prefixes {
            let applied = subscriptions.apply([1] + Array(prefix.utf8))
            #expect(applied)
        }
        return subscriptions
    }

    @Test func nobodySubscribedWantsNothing() {
        let none = subscriptions()
        #expect(!none.wants("all"))
        #expect(!none.wants("agent.a1"))
        #expect(!none.wants("other"))
    }

    @Test func prefixesMatchAsZeroMQMatchesThem() {
        let some = subscriptions("agent.a1", "all", "sta")
        #expect(some.wants("agent.a1"))
        #expect(some.wants("agent.a12"), "a prefix subscription matches longer topics")
        #expect(!some.wants("agent.a2"))
        #expect(!some.wants("agent."))
        #expect(some.wants("all"))
        #expect(!some.wants("contact.7"))
        #expect(some.wants("stats.default.billing"), "a prefix of the family root covers the whole family")
        #expect(!some.wants("system"))
        #expect(!some.wants("elsewhere"))
    }

    @Test func prefixesAreBytesAsInLibzmq() {
        let some = subscriptions("agent.jos", "contact.\u{E9}")
        #expect(some.wants("agent.jos\u{E9}"))
        #expect(some.wants("contact.\u{E9}t\u{E9}"))
        #expect(!some.wants("contact.e\u{301}"), "another spelling of the same text is other bytes")
        #expect(!some.wants("agent."))
    }

    @Test func emptySubscriptionWantsEverything() {
        let everything = subscriptions("")
        for topic in ["all", "agent.x", "contact.1", "system", "stats.t.q", "elsewhere"] { #expect(everything.wants(topic)) }
    }

    @Test func unsubscribingForgets() {
        var some = subscriptions("agent.", "contact.42")
        #expect(some.wants("agent.a9") && some.wants("contact.42"))
        some.apply([0] + Array("agent.".utf8))
        some.apply([0] + Array("contact.42".utf8))
        #expect(!some.wants("agent.a9"))
        #expect(!some.wants("contact.42"))
        #expect(some.isEmpty)
    }

    @Test func topicsOutsideEveryFamilyAreMatchedPrefixByPrefix() {
        let some = subscriptions("custom.x")
        #expect(some.wants("custom.xy"))
        #expect(!some.wants("custom.y"))
    }

    @Test func anEventTopicsFamilyIsTheRootItsBytesStartWith() {
        let topics: [EventTopic] = [.everything, .system, .agent("jos\u{E9}"), .contact(ContactID(42))]
        for topic in topics {
            #expect(topic.bytes.starts(with: Array(EventTopics.families[topic.family].utf8)), "\(topic)")
        }
    }

    @Test func anEventTopicIsWantedAsItsBytesAre() {
        let topics: [EventTopic] = [.everything, .system, .agent("a1"), .agent("a12"), .agent("b"), .contact(ContactID(7))]
        for prefixes in [[], ["agent."], ["agent.a1"], ["contact.7", "all"], [""], ["ag", "sys"], ["agent.a1", "agent."]] {
            var some = TopicSubscriptions(families: EventTopics.families)
            for prefix in prefixes { some.apply([1] + Array(prefix.utf8)) }
            for topic in topics {
                #expect(some.wants(topic) == some.wants(topic.bytes), "\(prefixes) \(topic)")
            }
        }
    }

    @Test func otherMessagesAreRefused() {
        var subscriptions = TopicSubscriptions(families: EventTopics.families)
        let empty = subscriptions.apply([])
        let unknownFlag = subscriptions.apply([7, 65])
        #expect(!empty && !unknownFlag)
    }
}
