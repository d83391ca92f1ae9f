/// Why an image could not be read, written or converted.
///
/// The description starts with the file as the caller named it ("photo.jpg: not a PNG or JPEG file"), so
/// it can be shown to a user as is. `kind` lets callers tell the cases apart without parsing text.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The file cannot be opened or read: missing, a directory, no permission.
        case cannotRead
        /// The file cannot be created, written or renamed into place.
        case cannotWrite
        /// Empty, or neither a PNG nor a JPEG by its first bytes.
        case notAnImage
        /// The data ends before the image does.
        case truncated
        /// The decoder rejected the data (bad checksum, bad Huffman code, ...).
        case corrupt
        /// Valid but not handled: CMYK/YCCK JPEG, images over the size limits.
        case unsupported
        /// A bad argument: sample count, bit depth, tensor shape, JPEG quality, file extension.
        case invalid
        case outOfMemory
    }

    public let kind: Kind
    /// The file as the caller named it; nil for in-memory data and tensors.
    public let path: String?
    /// The problem, without the file name.
    public let message: String

    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
