/// Why a photo could not be aligned; the description starts with the file, so it can be shown as is.
public struct FaceAlignmentError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The detector found no face (MTCNN: nothing above its thresholds).
        case noFace
        /// A face was asked for by its place in size order, and fewer were found.
        case noSuchFace(index: Int, found: Int)
    }

    public let kind: Kind
    /// The photo as the caller named it.
    public let path: String

    public init(_ kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    public var description: String {
        switch kind {
        case .noFace:
            "\(path): no face found"
        case .noSuchFace(let index, let found):
            "\(path): face \(index) asked for but \(found) found (faces are numbered by box size from 0, the "
                + "largest)"
        }
    }
}
