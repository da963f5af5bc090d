import GlossCore
import GlossProtocol
import GlossStore

extension ProtocolError {
    /// The error a client sees for a store failure: the core's own code when
    /// the core refused the write, otherwise the store's code.
    init(_ error: StoreError) {
        if let core = error.coreError {
            self.init(ProtocolError.Code(core.code.rawValue), core.message)
        } else {
            self.init(ProtocolError.Code(error.code.rawValue), error.message)
        }
    }

    /// The error a client sees when the core refuses something.
    init(_ error: CoreError) {
        self.init(ProtocolError.Code(error.code.rawValue), error.message)
    }
}
