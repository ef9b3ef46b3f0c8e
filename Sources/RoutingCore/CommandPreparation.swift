import CPrefetch

extension RoutingEngine {
    /// Starts loading the records `command` will read first, without waiting for them and without changing
    /// anything: a driver holding several commands calls it for the next one before it hands the engine this one,
    /// so that the next command's first reads overlap this command's work instead of waiting in turn.
    ///
    /// A desktop's command names a contact that is, as far as the caches go, picked at random: its record, its
    /// agent's record, its details and its slot generation were each a read from memory, one after another, when
    /// the command came (bench/README.md, session 24). The same commands give the same events whether or not this
    /// is called. `mutating` only so that a driver holding the engine in a class does not copy it (see
    /// `freeCapacity`).
    public mutating func prepare(_ command: borrowing Command) {
        switch command {
        case .accept(_, let id), .decline(_, let id), .complete(_, let id), .endWrapUp(_, let id),
             .abandon(let id), .cancel(let id), .requestCallback(let id, _):
            prepareContact(id)
        case .login(let agent), .logout(let agent, _), .ready(let agent), .notReady(let agent, _):
            if let slot = agentIndex[agent] { prefetchAgent(Int(slot)) }
        case .submit:
            // The slot the contact will take, freed perhaps long ago.
            if let slot = freeContactSlots.last { prefetchSlot(Int(slot)) }
        default:
            break
        }
    }

    /// The contact's own record is read here, for its agent; the rest is only asked for.
    private mutating func prepareContact(_ id: ContactID) {
        guard let slot = contactSlot[id] else { return }
        prefetchSlot(Int(slot))
        if let agent = contacts[Int(slot)].phase.agent { prefetchAgent(Int(agent)) }
    }

    private mutating func prefetchSlot(_ s: Int) {
        acd_prefetch(contacts.address(s))
        contactDetails.withUnsafeBufferPointer { acd_prefetch($0.baseAddress! + s) }
        slotGenerations.withUnsafeBufferPointer { acd_prefetch($0.baseAddress! + s) }
    }

    /// Every line of the record: a completion reads most of them.
    private mutating func prefetchAgent(_ a: Int) {
        let record = UnsafeRawPointer(agents.address(a))
        for line in stride(from: 0, to: MemoryLayout<AgentRecord>.size, by: 64) { acd_prefetch(record + line) }
    }
}
