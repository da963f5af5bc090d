import GlossCore
import GlossProtocol
import GlossStore
import Logging

/// What every session of one server shares.
struct ServerContext: Sendable {
    let store: GlossStore
    let limits: ServerLimits
    let hub: EventHub
    let directory: Directory
    let documents: DocumentCache
    let throttle: AuthenticationThrottle
    /// The exports running, against ``ServerLimits/maximumExports``.
    let exports: ExportSlots
    /// The replica and order of imported annotations' operations.
    let imports: ImportSequence
    let logger: Logger
    /// Replication, when configured, once the server runs.
    let replication: ReplicationRuntime?

    /// The greeting sent to every new connection.
    var greeting: Greeting {
        Greeting(
            replica: store.replica.rawValue, maximumLineBytes: limits.maximumLineBytes, maximumDocumentBytes: limits.maximumDocumentBytes,
            maximumInFlight: limits.maximumInFlight, authenticationTimeoutSeconds: Int(limits.authenticationTimeout.components.seconds),
            idleTimeoutSeconds: Int(limits.idleTimeout.components.seconds)
        )
    }
}
