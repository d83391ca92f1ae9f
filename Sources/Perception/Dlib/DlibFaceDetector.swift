import CDlib
import Foundation
import Images

/// dlib's face detectors, as the official alignment scripts run them (`dlib.get_frontal_face_detector()` or
/// `dlib.cnn_face_detection_model_v1(path)`, called as `detector(image, upsample)`).
public final class DlibFaceDetector: @unchecked Sendable {
    public enum Kind: Equatable, Sendable {
        /// The HOG frontal face detector, built into dlib.
        case hog
        /// The CNN (max-margin object detection) face detector from its model file, `mmod_human_face_detector.dat`.
        case mmod(path: String)
    }

    /// A face rectangle and the detector's confidence.
    public struct Detection: Equatable, Sendable {
        /// dlib's inclusive rectangle, in the image's pixels.
        public var box: FaceBox
        public var confidence: Double
    }

    public let kind: Kind
    private let handle: OpaquePointer
    /// dlib's detectors keep scratch buffers; one call at a time.
    private let lock = NSLock()

    public init(_ kind: Kind) throws {
        self.kind = kind
        var out: OpaquePointer?
        switch kind {
        case .hog:
            try DlibError.check("dlib HOG face detector") { cdlib_hog_detector_new(&out, $0, $1) }
        case .mmod(let path):
            try DlibError.check(path) { cdlib_mmod_detector_new(path, &out, $0, $1) }
        }
        handle = out!
    }

    deinit { cdlib_detector_free(handle) }

    /// The faces in `image` in dlib's order, after upsampling it `upsample` times (the official scripts pass 1; each
    /// doubles the sides, finding faces down to about 40 pixels instead of 80, at four times the memory).
    public func detect(_ image: Image, upsample: Int = 1, name: String = "image") throws -> [Detection] {
        try detect(DlibImage(image), upsample: upsample, name: name)
    }

    func detect(_ image: DlibImage, upsample: Int, name: String) throws -> [Detection] {
        guard (0...4).contains(upsample) else { throw DlibError("\(name): upsample \(upsample) is outside 0...4") }
        lock.lock()
        defer { lock.unlock() }
        var rects: UnsafeMutablePointer<cdlib_rect>?
        var count = 0
        try image.bytes.withUnsafeBufferPointer { bytes in
            try DlibError.check(name) {
                cdlib_detect(handle, bytes.baseAddress, UInt32(image.width), UInt32(image.height), UInt32(upsample), &rects,
                             &count, $0, $1)
            }
        }
        defer { cdlib_free(rects) }
        return (0..<count).map { i in
            let r = rects![i]
            return Detection(box: FaceBox(x1: Double(r.left), y1: Double(r.top), x2: Double(r.right), y2: Double(r.bottom)),
                             confidence: r.confidence)
        }
    }
}
