import CDlib
import Foundation
import Images

/// dlib's own face recognition, run by libdlib through the shim: its chip extraction and its `anet_type` network
/// on the CPU. The reference `DlibFaceRecognition` and `DlibFaceChip` are held to, and the baseline `make bench`
/// times them against.
public final class DlibNativeRecognizer: @unchecked Sendable {
    public let path: String
    private let handle: OpaquePointer

    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw DlibError("\(path): no such file") }
        var out: OpaquePointer?
        try DlibError.check(path) { cdlib_recognizer_new(path, &out, $0, $1) }
        (self.path, handle) = (path, out!)
    }

    deinit { cdlib_recognizer_free(handle) }

    /// `extract_image_chip(photo, get_face_chip_details(landmarks, size, padding))`: size x size RGB bytes.
    public static func chip(_ photo: Image, landmarks: [FacePoint], size: Int = DlibFaceRecognition.chipSize,
                            padding: Double = 0.25, name: String = "image") throws -> [UInt8] {
        let rgb = DlibImage(photo)
        let xy = landmarks.flatMap { [Int64($0.x.rounded()), Int64($0.y.rounded())] }
        var chip = [UInt8](repeating: 0, count: size * size * 3)
        try rgb.bytes.withUnsafeBufferPointer { bytes in
            try chip.withUnsafeMutableBufferPointer { out in
                try DlibError.check(name) {
                    cdlib_face_chip(bytes.baseAddress, UInt32(rgb.width), UInt32(rgb.height), xy, landmarks.count, UInt32(size),
                                    padding, out.baseAddress, $0, $1)
                }
            }
        }
        return chip
    }

    /// The descriptors of 150 x 150 RGB chips (count x 150 x 150 x 3 bytes): count x 128 floats.
    public func descriptors(chips: [UInt8]) throws -> [Float] {
        let side = DlibFaceRecognition.chipSize
        guard chips.count % (side * side * 3) == 0 else {
            throw DlibError("chips must be 150 x 150 x 3 bytes each, got \(chips.count) bytes")
        }
        let count = chips.count / (side * side * 3)
        var out = [Float](repeating: 0, count: count * 128)
        try chips.withUnsafeBufferPointer { bytes in
            try out.withUnsafeMutableBufferPointer { result in
                try DlibError.check(path) { cdlib_face_descriptors(handle, bytes.baseAddress, count, result.baseAddress, $0, $1) }
            }
        }
        return out
    }
}
