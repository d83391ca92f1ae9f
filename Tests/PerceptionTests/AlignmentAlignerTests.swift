import Foundation
import Images
@testable import Perception
import Testing
import Torch

/// Detection, choice of face and alignment together, the errors that name the photo, and the JSON record.
@Suite("Face aligner")
struct AlignmentAlignerTests {
    let aligner: FaceAligner

    init() throws {
        try Runtime.start()
        aligner = FaceAligner(detector: try MTCNN())
    }

    @Test func largestFaceByDefault() throws {
        let pair = try SyntheticFace.pair()
        let result = try aligner.align(pair, name: "pair.png", outputSize: 64)
        #expect(result.faces.count == 2 && result.faceIndex == 0)
        // The 160 px face (box from x 49) is larger than the 96 px one (x 223), though MTCNN scores it lower.
        #expect(abs(result.face.box.x1 - 49.32) < 0.1)
        #expect(result.faces[0].box.area > result.faces[1].box.area)
        #expect(result.image.width == 64 && result.image.height == 64 && result.image.channels == 3)
        #expect(result.quad == AlignmentQuad(landmarks: result.face.landmarks))
        let second = try aligner.align(pair, name: "pair.png", outputSize: 32, faceIndex: 1)
        #expect(abs(second.face.box.x1 - 222.89) < 0.1 && second.image.width == 32)
    }

    @Test func errorsNameThePhoto() throws {
        let pair = try SyntheticFace.pair()
        #expect(throws: FaceAlignmentError(.noSuchFace(index: 2, found: 2), path: "pair.png")) {
            try aligner.align(pair, name: "pair.png", outputSize: 64, faceIndex: 2)
        }
        let gray = try Image(width: 64, height: 48, channels: 3, bitDepth: 8, pixels: .init(repeating: 90, count: 9216))
        let error = FaceAlignmentError(.noFace, path: "photos/gray.png")
        #expect(throws: error) { try aligner.align(gray, name: "photos/gray.png", outputSize: 64) }
        #expect(error.description == "photos/gray.png: no face found")
        #expect(FaceAlignmentError(.noSuchFace(index: 3, found: 1), path: "a.jpg").description
            == "a.jpg: face 3 asked for but 1 found (faces are numbered by box size from 0, the largest)")
        #expect(throws: ImageError.self) { try aligner.align(path: "no-such-photo.png", outputSize: 64) }
    }

    @Test func recordHoldsWhereTheFaceWas() throws {
        let result = try aligner.align(SyntheticFace.image(size: 160), name: "face.png", outputSize: 32)
        let record = AlignmentRecord(source: "in/face.png", sourceWidth: 160, sourceHeight: 160, result: result)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("align-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("face.json").path
        try record.write(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["face.json"])
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try JSONDecoder().decode(AlignmentRecord.self, from: data) == record)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["source", "source_width", "source_height", "face_index", "faces_found", "box",
                                     "score", "landmarks", "quad", "quad_size", "output_size"])
        let landmarks = try #require(object["landmarks"] as? [String: [Double]])
        #expect(Set(landmarks.keys) == ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"])
        let leftEye = try #require(landmarks["left_eye"])
        #expect(leftEye.count == 2 && abs(leftEye[0] - 61.67) < 0.05 && abs(leftEye[1] - 72.89) < 0.05)
        #expect((object["quad"] as? [[Double]])?.count == 4)
        #expect(object["output_size"] as? Int == 32 && object["faces_found"] as? Int == 1)

        let missing = folder.appendingPathComponent("no/such/folder/face.json").path
        let failure = #expect(throws: FaceAlignmentRecordError.self) { try record.write(to: missing) }
        #expect(failure?.description.hasPrefix("\(missing): cannot write: ") == true)
    }
}
