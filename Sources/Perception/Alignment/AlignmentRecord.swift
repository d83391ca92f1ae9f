import Foundation

/// What `stylegan align` writes beside each aligned face: where in the photo the face was and how it was cut, so
/// an edit can be pasted back or the crop redone. Coordinates are the photo's pixels, centres on whole numbers.
public struct AlignmentRecord: Codable, Equatable, Sendable {
    /// The five landmarks the crop is built from, as [x, y] (from dlib's 68: the eye means and mouth corners).
    public struct Landmarks: Codable, Equatable, Sendable {
        public var leftEye: [Double]
        public var rightEye: [Double]
        public var nose: [Double]
        public var mouthLeft: [Double]
        public var mouthRight: [Double]

        enum CodingKeys: String, CodingKey {
            case leftEye = "left_eye", rightEye = "right_eye", nose, mouthLeft = "mouth_left"
            case mouthRight = "mouth_right"
        }
    }

    /// The photo as given.
    public var source: String
    public var sourceWidth: Int
    public var sourceHeight: Int
    /// Which face, by box size from 0 (the largest), of how many.
    public var faceIndex: Int
    public var facesFound: Int
    /// The detector's box [x1, y1, x2, y2] (inclusive corners) and score.
    public var box: [Double]
    public var score: Double
    public var landmarks: Landmarks
    /// dlib's 68 landmarks as [x, y] (absent for MTCNN).
    public var landmarks68: [[Double]]?
    /// The crop's corners as [x, y], in the order top-left, bottom-left, bottom-right, top-right of the output.
    public var quad: [[Double]]
    public var quadSize: Double
    /// The aligned image's side in pixels.
    public var outputSize: Int

    enum CodingKeys: String, CodingKey {
        case source, sourceWidth = "source_width", sourceHeight = "source_height", faceIndex = "face_index"
        case facesFound = "faces_found", box, score, landmarks, landmarks68 = "landmarks_68", quad, quadSize = "quad_size"
        case outputSize = "output_size"
    }

    public init(source: String, sourceWidth: Int, sourceHeight: Int, result: FaceAligner.Result) {
        func pair(_ p: FacePoint) -> [Double] { [p.x, p.y] }
        let face = result.face
        self.source = source
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        faceIndex = result.faceIndex
        facesFound = result.faces.count
        box = [face.box.x1, face.box.y1, face.box.x2, face.box.y2]
        score = face.score
        landmarks = Landmarks(leftEye: pair(face.landmarks.leftEye), rightEye: pair(face.landmarks.rightEye),
                              nose: pair(face.landmarks.nose), mouthLeft: pair(face.landmarks.mouthLeft),
                              mouthRight: pair(face.landmarks.mouthRight))
        landmarks68 = face.allLandmarks.isEmpty ? nil : face.allLandmarks.map(pair)
        quad = result.quad.corners.map(pair)
        quadSize = result.quad.size
        outputSize = result.image.width
    }

    /// The crop the record describes, for `PasteBack`.
    public var alignmentQuad: AlignmentQuad {
        let p = quad.map { FacePoint(x: $0[0], y: $0[1]) }
        return AlignmentQuad(topLeft: p[0], bottomLeft: p[1], bottomRight: p[2], topRight: p[3], size: quadSize)
    }

    /// Reads a record `stylegan align` wrote; errors name `path`.
    public static func read(path: String) throws -> AlignmentRecord {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FaceAlignmentRecordError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        let record: AlignmentRecord
        do { record = try JSONDecoder().decode(AlignmentRecord.self, from: data) } catch {
            throw FaceAlignmentRecordError(path: path, reason: "not an alignment record of `stylegan align`: \(error)")
        }
        guard record.quad.count == 4, record.quad.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isFinite) }) else {
            throw FaceAlignmentRecordError(path: path, reason: "its quad is not four [x, y] corners")
        }
        return record
    }

    /// The photo the record was made from: `source` as given, else beside the record.
    public func sourcePath(recordPath: String) -> String {
        if FileManager.default.fileExists(atPath: source) { return source }
        let beside = URL(fileURLWithPath: recordPath).deletingLastPathComponent()
            .appendingPathComponent((source as NSString).lastPathComponent).path
        return FileManager.default.fileExists(atPath: beside) ? beside : source
    }

    /// Pretty-printed JSON with sorted keys and a final newline.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Writes `json()` to a temporary file beside `path` and renames it over `path`, so readers see the old file
    /// or the whole new one, never half of it.
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        do {
            try json().write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw FaceAlignmentRecordError(path: path, reason: "cannot write: " + error.localizedDescription)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw FaceAlignmentRecordError(path: path, reason: "cannot write: " + reason)
        }
    }
}

/// A landmarks file could not be written or read.
public struct FaceAlignmentRecordError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "\(path): \(reason)" }
}
