import Images
import Torch

/// Photo in, aligned faces out: detection (dlib or MTCNN), the choice of faces, and the FFHQ crop.
public final class FaceAligner {
    public enum Detector {
        /// MTCNN's boxes and five landmarks.
        case mtcnn(MTCNN)
        /// dlib's detector and its 68-point shape predictor, as the official alignment scripts.
        case dlib(DlibFaceDetector, landmarks: DlibShapePredictor)
    }

    public let detector: Detector
    /// How many times dlib upsamples the photo before detecting (the official scripts: 1).
    public var upsample = 1
    /// The most pixels dlib's detector is given (its HOG pyramid takes about 20 bytes a pixel, so about 500 MB).
    public static let maxDetectionPixels = 25_000_000

    /// How a photo is detected within `maxDetectionPixels`: `upsample` lowered until the upsampled photo fits, and, if
    /// even the photo does not, detection on a copy shrunk by `divisor` (its boxes scaled back; the landmarks are
    /// always found in the full photo). Photos that fit are detected as the official script does.
    public static func detectionPlan(width: Int, height: Int, upsample: Int) -> (upsample: Int, divisor: Int) {
        var k = upsample
        while k > 0, width * height << (2 * k) > maxDetectionPixels { k -= 1 }
        guard width * height > maxDetectionPixels else { return (k, 1) }
        let divisor = Int((Double(width * height) / Double(maxDetectionPixels)).squareRoot().rounded(.up))
        return (0, divisor)
    }

    public init(detector: MTCNN) {
        self.detector = .mtcnn(detector)
    }

    /// dlib's detector with the 68-point predictor (the FFHQ crop reads eyes and mouth corners from its layout).
    public init(dlib: DlibFaceDetector, landmarks: DlibShapePredictor) throws {
        guard landmarks.parts == 68 else {
            throw DlibError("\(landmarks.path): a \(landmarks.parts)-point shape predictor; the FFHQ alignment needs the "
                + "68-point one (shape_predictor_68_face_landmarks.dat)")
        }
        detector = .dlib(dlib, landmarks: landmarks)
    }

    /// dlib's HOG detector (or, with `cnn`, its mmod CNN) and the 68-point predictor, from `models`.
    public convenience init(dlibModels models: DlibModels, cnn: Bool = false) throws {
        let kind: DlibFaceDetector.Kind = cnn ? .mmod(path: try models.require(models.mmodDetector)) : .hog
        try self.init(dlib: DlibFaceDetector(kind), landmarks: DlibShapePredictor(path: models.require(models.landmarks68)))
    }

    /// A face cut out of a photo, with what it was cut by.
    public struct Result: Sendable {
        /// outputSize x outputSize, 8-bit RGB.
        public let image: Image
        /// Every face found, largest box first; `faceIndex` says which one was aligned.
        public let faces: [Face]
        public let faceIndex: Int
        /// The crop, in the photo's pixels.
        public let quad: AlignmentQuad

        public var face: Face { faces[faceIndex] }
    }

    /// Reads a PNG or JPEG and aligns one of its faces; errors name `path`.
    public func align(path: String, outputSize: Int, faceIndex: Int = 0, supersampling: Int = 4) throws -> Result {
        try align(Image.read(path: path), name: path, outputSize: outputSize, faceIndex: faceIndex,
                  supersampling: supersampling)
    }

    /// Where the photo's tensor goes: MTCNN's device, else the CPU.
    private var device: Device {
        if case .mtcnn(let mtcnn) = detector { mtcnn.device } else { .cpu }
    }

    /// The faces of `image`, largest box first (equal boxes keep the detector's order); dlib's with their 68
    /// landmarks. `name` is how errors name the image.
    public func faces(in image: Image, name: String) throws -> [Face] {
        try faces(in: image, pixels: image.tensor(device: device), name: name)
    }

    /// `faces(in:name:)` with the photo's tensor [1, 3, H, W] on `device`, which the crops read too.
    private func faces(in image: Image, pixels: Tensor, name: String) throws -> [Face] {
        let found: [Face]
        switch detector {
        case .mtcnn(let mtcnn):
            found = try mtcnn.detect(image: pixels)
        case .dlib(let dlib, let predictor):
            let bytes = DlibImage(image)
            let plan = Self.detectionPlan(width: image.width, height: image.height, upsample: upsample)
            var detections: [DlibFaceDetector.Detection]
            if plan.divisor == 1 {
                detections = try dlib.detect(bytes, upsample: plan.upsample, name: name)
            } else {
                let d = Double(plan.divisor)
                let small = try Image(tensor: resize(pixels, height: max(1, image.height / plan.divisor),
                                                     width: max(1, image.width / plan.divisor)))
                detections = try dlib.detect(small, upsample: 0, name: name)
                for k in detections.indices {
                    let b = detections[k].box
                    detections[k].box = FaceBox(x1: (b.x1 * d).rounded(), y1: (b.y1 * d).rounded(), x2: (b.x2 * d).rounded(),
                                                y2: (b.y2 * d).rounded())
                }
            }
            found = try detections.map { detection in
                let points = try predictor.landmarks(bytes, box: detection.box, name: name)
                return Face(box: detection.box, score: detection.confidence, landmarks: try FaceLandmarks(dlib68: points),
                            allLandmarks: points)
            }
        }
        return found.enumerated()
            .sorted { $0.element.box.area != $1.element.box.area ? $0.element.box.area > $1.element.box.area
                : $0.offset < $1.offset }
            .map(\.element)
    }

    /// Aligns face number `faceIndex` of `image`, counting by box area from 0, the largest.
    ///
    /// - Parameter name: how errors name the image (its file, usually).
    public func align(_ image: Image, name: String, outputSize: Int, faceIndex: Int = 0, supersampling: Int = 4)
        throws -> Result
    {
        let pixels = try image.tensor(device: device)
        let faces = try faces(in: image, pixels: pixels, name: name)
        guard !faces.isEmpty else { throw FaceAlignmentError(.noFace, path: name) }
        guard faces.indices.contains(faceIndex) else {
            throw FaceAlignmentError(.noSuchFace(index: faceIndex, found: faces.count), path: name)
        }
        return try crop(pixels, faces: faces, faceIndex: faceIndex, outputSize: outputSize, supersampling: supersampling)
    }

    /// Aligns each of the `maxFaces` largest faces of `image`, largest first.
    public func alignAll(_ image: Image, name: String, outputSize: Int, maxFaces: Int, supersampling: Int = 4) throws
        -> [Result]
    {
        let pixels = try image.tensor(device: device)
        let faces = try faces(in: image, pixels: pixels, name: name)
        guard !faces.isEmpty else { throw FaceAlignmentError(.noFace, path: name) }
        return try faces.indices.prefix(maxFaces).map {
            try crop(pixels, faces: faces, faceIndex: $0, outputSize: outputSize, supersampling: supersampling)
        }
    }

    /// Face `faceIndex` of `faces` cut from the photo's tensor `pixels`.
    private func crop(_ pixels: Tensor, faces: [Face], faceIndex: Int, outputSize: Int, supersampling: Int) throws -> Result {
        let quad = AlignmentQuad(landmarks: faces[faceIndex].landmarks)
        let aligned = try FFHQAlignment.align(pixels, quad: quad, outputSize: outputSize, supersampling: supersampling)
        return Result(image: try Image(tensor: aligned), faces: faces, faceIndex: faceIndex, quad: quad)
    }
}
