import Foundation

/// Asks the kernel for a free TCP port on the loopback address.
enum FreePort {
    /// A port nothing listens on now.
    static func find() throws -> Int { try bind(port: 0) }

    /// Whether `port` can be bound on the loopback address now.
    static func isFree(_ port: Int) -> Bool { (try? bind(port: port)) == port }

    private static func bind(port: Int) throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw EmbeddedPostgresError("could not open a socket to find a free port") }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw EmbeddedPostgresError("could not bind a loopback socket to find a free port") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw EmbeddedPostgresError("could not read the free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
