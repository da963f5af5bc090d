import GlossCore
import GlossProtocol
import GlossStore
import Synchronization

/// Routes committed changes to the subscriptions that follow their document
/// or project, in commit order, numbering each subscription's events from 1.
/// Each annotation names its document and project itself, so changes from
/// anywhere (this process, another process, a peer) are routed alike.
final class EventHub: Sendable {
    private struct Subscriber {
        let key: Int
        let number: Int
        let scope: Scope
        let outbox: Outbox
        let onOverflow: @Sendable () -> Void
        var sequence: UInt64 = 0
    }

    private struct Registry {
        var subscribers: [Int: Subscriber] = [:]
        var byDocument: [DocumentKey: Set<Int>] = [:]
        var byProject: [ProjectID: Set<Int>] = [:]
        var nextKey = 1
    }

    /// What a subscription follows, resolved to a document's full identity.
    enum Scope: Sendable {
        case document(DocumentKey)
        case project(ProjectID)
    }

    private let registry = Mutex(Registry())

    /// Adds a subscription numbered `number` on its connection; returns its key in the hub.
    /// `onOverflow` runs (once) when its connection stops reading and the subscription is dropped.
    func add(number: Int, scope: Scope, outbox: Outbox, onOverflow: @escaping @Sendable () -> Void) -> Int {
        registry.withLock { registry in
            let key = registry.nextKey
            registry.nextKey += 1
            registry.subscribers[key] = Subscriber(key: key, number: number, scope: scope, outbox: outbox, onOverflow: onOverflow)
            switch scope {
            case .document(let document): registry.byDocument[document, default: []].insert(key)
            case .project(let project): registry.byProject[project, default: []].insert(key)
            }
            return key
        }
    }

    /// Removes a subscription.
    func remove(_ key: Int) {
        registry.withLock { registry in Self.remove(key, from: &registry) }
    }

    private static func remove(_ key: Int, from registry: inout Registry) {
        guard let subscriber = registry.subscribers.removeValue(forKey: key) else { return }
        switch subscriber.scope {
        case .document(let document):
            registry.byDocument[document]?.remove(key)
            if registry.byDocument[document]?.isEmpty == true { registry.byDocument[document] = nil }
        case .project(let project):
            registry.byProject[project]?.remove(key)
            if registry.byProject[project]?.isEmpty == true { registry.byProject[project] = nil }
        }
    }

    /// Sends an event for every operation of a commit to the subscriptions that follow it.
    ///
    /// Commits are published one at a time, in commit order. The lock is held only to
    /// pick the subscribers and number their events; the lines are built and queued
    /// outside it, so a large annotation or many subscribers never hold up a
    /// `SUBSCRIBE` or an `UNSUBSCRIBE` waiting for the registry.
    func publish(_ group: CommittedGroup) {
        var deliveries: [(subscriber: Subscriber, record: AnnotationRecord, change: String, author: String)] = []
        var records: [AnnotationID: AnnotationRecord] = [:]
        registry.withLock { registry in
            guard !registry.subscribers.isEmpty else { return }
            for operation in group.operations {
                guard let state = group.states[operation.annotation], let origin = state.origin else { continue }
                var keys = registry.byDocument[origin.documentKey] ?? []
                keys.formUnion(registry.byProject[origin.project] ?? [])
                guard !keys.isEmpty, let view = state.view else { continue }
                let record = records[operation.annotation] ?? AnnotationRecord(view, revision: state.revision)
                records[operation.annotation] = record
                for key in keys.sorted() {
                    guard var subscriber = registry.subscribers[key] else { continue }
                    subscriber.sequence += 1
                    registry.subscribers[key] = subscriber
                    deliveries.append((subscriber, record, operation.kind, operation.author))
                }
            }
        }
        var overflowed: [Int] = []
        for delivery in deliveries where !overflowed.contains(delivery.subscriber.key) {
            let event = EventRecord(
                subscription: delivery.subscriber.number, sequence: delivery.subscriber.sequence, change: delivery.change,
                author: delivery.author, annotation: delivery.record
            )
            if !delivery.subscriber.outbox.sendEvent(event.line) {
                overflowed.append(delivery.subscriber.key)
                remove(delivery.subscriber.key)
                delivery.subscriber.onOverflow()
            }
        }
    }
}
