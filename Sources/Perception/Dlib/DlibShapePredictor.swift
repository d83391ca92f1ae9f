import CDlib
import Foundation
import Images

/// dlib's shape predictor (`dlib.shape_predictor(path)`): landmarks inside a face rectangle, from a model file such
/// as `shape_predictor_68_face_landmarks.dat` (the FFHQ alignment's) or the 5-point one.
public final class DlibShapePredictor: @unchecked Sendable {
    public let path: String
    /// Landmarks per face: 68 or 5 for dlib's published models.
    public let parts: Int
    private let handle: OpaquePointer

    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw DlibError("\(path): no such file") }
        var out: OpaquePointer?
        var parts: UInt32 = 0
        try DlibError.check(path) { cdlib_predictor_new(path, &out, &parts, $0, $1) }
        (self.path, self.parts, handle) = (path, Int(parts), out!)
    }

    deinit { cdlib_predictor_free(handle) }

    /// The landmarks of the face in `box` (dlib's integer pixel positions, in its point order).
    public func landmarks(_ image: Image, box: FaceBox, name: String = "image") throws -> [FacePoint] {
        try landmarks(DlibImage(image), box: box, name: name)
    }

    func landmarks(_ image: DlibImage, box: FaceBox, name: String) throws -> [FacePoint] {
        var xy = [Int64](repeating: 0, count: parts * 2)
        let rect = cdlib_rect(left: Int64(box.x1), top: Int64(box.y1), right: Int64(box.x2), bottom: Int64(box.y2), confidence: 0)
        try image.bytes.withUnsafeBufferPointer { bytes in
            try xy.withUnsafeMutableBufferPointer { out in
                try DlibError.check(name) {
                    cdlib_predict(handle, bytes.baseAddress, UInt32(image.width), UInt32(image.height), rect, out.baseAddress,
                                  parts, $0, $1)
                }
            }
        }
        return (0..<parts).map { FacePoint(x: Double(xy[2 * $0]), y: Double(xy[2 * $0 + 1])) }
    }
}
