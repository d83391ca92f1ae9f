import CDlib

/// A failure inside dlib, or a model file it could not read; the description names the file or image.
public struct DlibError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// Runs a shim call that fills a message buffer; a failure becomes an error starting with `subject`.
    static func check(_ subject: String, _ call: (UnsafeMutablePointer<CChar>, Int) -> cdlib_status) throws {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBufferPointer { call($0.baseAddress!, $0.count) }
        guard status != CDLIB_OK else { return }
        let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let kind = switch status {
        case CDLIB_ERR_READ: "cannot read"
        case CDLIB_ERR_CORRUPT: "not a dlib model of this kind"
        case CDLIB_ERR_NO_MEMORY: "out of memory"
        case CDLIB_ERR_INVALID: "invalid input"
        default: "dlib failed"
        }
        throw DlibError("\(subject): \(kind)\(message.isEmpty ? "" : " (\(message))")")
    }
}
