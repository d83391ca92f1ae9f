import Images
import Torch

/// Photo in, aligned face out: MTCNN detection, the choice of face, and the FFHQ crop.
public final class FaceAligner {
    public let detector: MTCNN

    public init(detector: MTCNN) {
        self.detector = detector
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

    /// Aligns face number `faceIndex` of `image`, counting by box area from 0, the largest.
    ///
    /// - Parameter name: how errors name the image (its file, usually).
    public func align(_ image: Image, name: String, outputSize: Int, faceIndex: Int = 0, supersampling: Int = 4)
        throws -> Result
    {
        let pixels = try image.tensor(device: detector.device)
        // Faces of equal size keep MTCNN's best-score-first order.
        let faces = try detector.detect(image: pixels).enumerated()
            .sorted { $0.element.box.area != $1.element.box.area ? $0.element.box.area > $1.element.box.area
                : $0.offset < $1.offset }
            .map(\.element)
        guard !faces.isEmpty else { throw FaceAlignmentError(.noFace, path: name) }
        guard faces.indices.contains(faceIndex) else {
            throw FaceAlignmentError(.noSuchFace(index: faceIndex, found: faces.count), path: name)
        }
        let quad = AlignmentQuad(landmarks: faces[faceIndex].landmarks)
        let aligned = try FFHQAlignment.align(pixels, quad: quad, outputSize: outputSize, supersampling: supersampling)
        return Result(image: try Image(tensor: aligned), faces: faces, faceIndex: faceIndex, quad: quad)
    }
}
