import CTorch

/// A failure reported by libtorch or by a check in this library; the message is libtorch's own.
public struct TorchError: Error, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// The message the shim stored for the last failing call on this thread.
    static func last() -> TorchError {
        TorchError(String(cString: ct_last_error()))
    }
}

/// Turns a shim status code into a thrown `TorchError`.
@inline(__always)
func check(_ status: Int32) throws {
    if status != 0 { throw TorchError.last() }
}
