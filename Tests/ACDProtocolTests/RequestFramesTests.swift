import Foundation
import RoutingCore
import SwiftProtobuf
import Testing
@testable import ACDProtocol

/// The hand decoders and reply encoders must agree with the generated code on everything they take, and must
/// leave everything else to it.
@Suite struct RequestFramesTests {
    static let texts = ["", "r-1", "ana", "jos\u{E9}", "\u{1F4DE} caller", String(repeating: "x", count: 200)]

    static func agentRequests() -> [Acd_V1_AgentRequest] {
        var generator = SplitMix64(seed: 5)
        return (0..<600).map { n in
            var request = Acd_V1_AgentRequest()
            request.requestID = texts[Int(generator.next() % UInt64(texts.count))]
            request.agentID = texts[Int(generator.next() % UInt64(texts.count))]
            let ref = Acd_V1_ContactRef.with { $0.contactID = [0, 1, 300, UInt64.max][Int(generator.next() % 4)] }
            switch n % 10 {
            case 0: request.login = Acd_V1_Login()
            case 1: request.logout = .with { $0.force = generator.next() % 2 == 0 }
            case 2: request.ready = Acd_V1_Ready()
            case 3: request.notReady = .with { $0.reason = "lunch" }
            case 4: request.accept = ref
            case 5: request.decline = ref
            case 6: request.complete = ref
            case 7: request.endWrapUp = ref
            case 8: request.heartbeat = Acd_V1_Heartbeat()
            default: break  // no body
            }
            return request
        }
    }

    @Test func agentFramesDecodeAsTheGeneratedCodeDoes() throws {
        var taken = 0
        for request in Self.agentRequests() {
            let bytes: [UInt8] = try request.serializedBytes()
            guard let frame = AgentRequestFrame(binary: bytes) else {
                // Left to the generated decoder: only what the hand decoder does not claim to handle.
                let hot = [4, 5, 6, 7].contains(request.body.map(Self.agentBodyField) ?? 0) || request.body == .login(Acd_V1_Login())
                    || request.body == .ready(Acd_V1_Ready()) || request.body == .heartbeat(Acd_V1_Heartbeat())
                #expect(!hot || request.agentID.isEmpty, "\(request)")
                continue
            }
            taken += 1
            #expect(frame.requestID == request.requestID)
            #expect(frame.agentID.rawValue == request.agentID)
            #expect(String(describing: frame.action) == String(describing: try request.action()))
        }
        #expect(taken > 300)
    }

    private static func agentBodyField(_ body: Acd_V1_AgentRequest.OneOf_Body) -> Int {
        switch body {
        case .accept: 4
        case .decline: 5
        case .complete: 6
        case .endWrapUp: 7
        default: 0
        }
    }

    @Test func contactFramesDecodeAsTheGeneratedCodeDoes() throws {
        var generator = SplitMix64(seed: 9)
        var taken = 0
        for n in 0..<400 {
            var request = Acd_V1_ContactRequest()
            request.requestID = Self.texts[n % Self.texts.count]
            switch n % 5 {
            case 0, 1:
                request.submit = .with {
                    $0.tenant = ["telco", "", "banco"][Int(generator.next() % 3)]
                    $0.queue = ["billing", "", "fa\u{E7}tura"][Int(generator.next() % 3)]
                    $0.channel = [.voice, .chat, .unspecified, .UNRECOGNIZED(9)][Int(generator.next() % 4)]
                    $0.customerID = generator.next() % 2 == 0 ? "C-9" : ""
                    $0.ani = generator.next() % 2 == 0 ? "+34600" : ""
                    if generator.next() % 2 == 0 { $0.ivrData = ["intent": "invoice", "": "empty key", "note": ""] }
                    if generator.next() % 2 == 0 { $0.requiredSkills = ["spanish": 5, "vip": 0, "odd": -7] }
                    $0.priority = [0, 7, -100, Int32.min][Int(generator.next() % 4)]
                    $0.callbackNumber = generator.next() % 2 == 0 ? "+1555" : ""
                    $0.externalID = generator.next() % 2 == 0 ? "sip-\(n)" : ""
                }
            case 2: request.cancel = .with { $0.contactID = UInt64(n) }
            case 3: request.abandon = .with { $0.contactID = UInt64.max - UInt64(n) }
            default: request.status = .with { $0.contactID = 4 }
            }
            let bytes: [UInt8] = try request.serializedBytes()
            guard let frame = ContactRequestFrame(binary: bytes) else {
                #expect(n % 5 == 4, "only status is left to the generated decoder: \(request)")
                continue
            }
            taken += 1
            #expect(frame.requestID == request.requestID)
            let profile = CustomerProfile(customerID: "C-9", tier: "gold")
            let mine = Result { () throws(ProtocolError) in ContactRequestAction.command(try frame.command(profile: profile)) }
            let theirs = Result { () throws(ProtocolError) in try request.action(profile: profile) }
            #expect(String(describing: mine) == String(describing: theirs), "\(request)")
            // A submission prints as its box: compare its fields (Equatable) as well.
            if case .success(.command(.submit(let a))) = mine, case .success(.command(.submit(let b))) = theirs {
                #expect(a == b, "\(request)")
            }
            if case .submit(let submit) = frame.body {
                #expect(submit.customerID == request.submit.customerID && submit.ani == request.submit.ani)
            }
        }
        #expect(taken == 320)
    }

    @Test func framesTheHandDecodersDoNotClaimAreLeftToTheGeneratedCode() throws {
        let accept = Acd_V1_AgentRequest.with {
            $0.agentID = "ana"
            $0.accept = .with { $0.contactID = 7 }
        }
        let plain: [UInt8] = try accept.serializedBytes()
        #expect(AgentRequestFrame(binary: plain) != nil)
        // An unknown field, a truncated frame, text that is not UTF-8, a body twice, a fixed64 in place of a varint.
        #expect(AgentRequestFrame(binary: plain + [0xF8, 0x01, 0x01]) == nil)
        #expect(AgentRequestFrame(binary: Array(plain.dropLast())) == nil)
        let badText: [UInt8] = [0x12, 0x02, 0xC3, 0x28] + plain.dropFirst(5)
        #expect(AgentRequestFrame(binary: badText) == nil)
        #expect(AgentRequestFrame(binary: plain + [0x4A, 0x02, 0x08, 0x01]) == nil)
        #expect(AgentRequestFrame(binary: [0x12, 0x03] + Array("ana".utf8) + [0x3A, 0x09, 0x09] + [UInt8](repeating: 1, count: 8)) == nil)
        #expect(ContactRequestFrame(binary: Array("{\"submit\":{}}".utf8)) == nil)
    }

    /// The client's hand-written requests decode, through the generated code, to the requests they stand for, and
    /// the reply peek names the body the generated decoder finds.
    @Test func clientFramesAgreeWithTheGeneratedCode() throws {
        let actions: [(ClientFrames.ContactAction, (UInt64) -> Acd_V1_AgentRequest.OneOf_Body)] = [
            (.accept, { id in .accept(.with { $0.contactID = id }) }),
            (.decline, { id in .decline(.with { $0.contactID = id }) }),
            (.complete, { id in .complete(.with { $0.contactID = id }) }),
            (.endWrapUp, { id in .endWrapUp(.with { $0.contactID = id }) }),
        ]
        for (action, body) in actions {
            for contact: UInt64 in [0, 1, 300, .max] {
                for agent in Self.texts {
                    let bytes = ClientFrames.agentRequest(action, contact: contact, agent: agent, requestID: "desk-\(contact)")
                    let expected = Acd_V1_AgentRequest.with {
                        $0.requestID = "desk-\(contact)"
                        $0.agentID = agent
                        $0.body = body(contact)
                    }
                    #expect(try Acd_V1_AgentRequest(serializedBytes: bytes) == expected)
                }
            }
        }
        let templates: [Acd_V1_ContactRequest] = [
            .with { $0.submit = .with { $0.tenant = "telco"; $0.queue = "fa\u{E7}tura"; $0.channel = .voice; $0.ivrData = ["intent": "x"] } },
            .with { $0.submit = Acd_V1_SubmitContact() },
            .with { $0.abandon = .with { $0.contactID = .max } },
        ]
        for template in templates {
            for id in Self.texts {
                let bytes = ClientFrames.settingRequestID(id, in: try template.serializedBytes())
                var expected = template
                expected.requestID = id
                #expect(try Acd_V1_ContactRequest(serializedBytes: bytes) == expected)
            }
        }
        let contactReplies: [Acd_V1_ContactReply] = [
            .with { $0.requestID = "r"; $0.queued = .with { $0.contactID = 3 } },
            .with { $0.requestID = "r"; $0.error = .with { $0.code = "queue_full" } },
            .with { $0.error = Acd_V1_Error() },
            .with { $0.requestID = "r"; $0.ack = Acd_V1_Ack() },
        ]
        #expect(try contactReplies.map { ClientFrames.replyBodyField(try $0.serializedBytes()) } == [2, Acd_V1_ContactReply.errorField, 4, 6])
        let agentReplies: [Acd_V1_AgentReply] = [
            .with { $0.requestID = "r"; $0.ack = Acd_V1_Ack() },
            .with { $0.requestID = "r"; $0.error = .with { $0.code = "unknown_contact" } },
            .with { $0.requestID = "r" },
        ]
        #expect(try agentReplies.map { ClientFrames.replyBodyField(try $0.serializedBytes()) } == [2, Acd_V1_AgentReply.errorField, nil])
    }

    @Test func hotRepliesAreByteForByteTheGeneratedOnes() throws {
        let contact = ContactID(42)
        let lists: [[EventKind]] = [
            [],
            [.accepted(contact, agent: "ana"), .connected(contact, agent: "ana", queue: "q", waitMilliseconds: 5)],
            [.commandRejected(.unknownContact, message: "unknown contact c42")],
            [.commandRejected(.queueFull, message: "")],
            [.received(contact, ContactSubmission(tenant: "t", queue: "q", channel: .voice)),
             .queued(contact, tenant: "t", queue: "q", position: 12, estimatedWaitSeconds: 0)],
            [.queued(contact, tenant: "t", queue: "q", position: 0, estimatedWaitSeconds: nil)],
            [.queued(ContactID(UInt64.max), tenant: "t", queue: "q", position: Int.max, estimatedWaitSeconds: 95)],
            [.closed(contact, tenant: "t", queue: "q")],
            [.offered(contact, agent: "b", queue: "q", expiresAt: Instant(milliseconds: 9))],
        ]
        for id in Self.texts {
            for kinds in lists {
                let events = kinds.enumerated().map { Event(sequence: UInt64($0.offset + 1), at: .epoch, kind: $0.element) }[...]
                // In place of what the buffer holds, as in the storage of an earlier request.
                let earlier = [UInt8](repeating: 0xAA, count: 300)
                let contactReply: [UInt8] = try Acd_V1_ContactReply(requestID: id, events: events).serializedBytes()
                var written = earlier
                HotReplies.contactReply(requestID: id, events: events, into: &written)
                #expect(written == contactReply, "\(kinds)")
                let agentReply: [UInt8] = try Acd_V1_AgentReply(requestID: id, events: events).serializedBytes()
                written = earlier
                HotReplies.agentReply(requestID: id, events: events, into: &written)
                #expect(written == agentReply, "\(kinds)")
            }
        }
    }
}
