import Checkpoints
import Foundation
import Images
import Torch

/// The MTCNN face detector (Zhang et al. 2016) that pSp and e4e align faces with: boxes, scores and five landmarks.
///
/// Three cascaded networks: P-Net proposes windows over an image pyramid, R-Net rejects and refines them on 24x24
/// crops, O-Net scores 48x48 crops and places the landmarks. The pipeline follows the PyTorch port whose weights ship
/// with this package (TropComplique's `mtcnn-pytorch`, as TreB1eN's `mtcnn_pytorch` and pSp's `models/mtcnn` carry
/// it): its pyramid, box rounding, crops, calibration and non-maximum suppression, with P-Net's softmax over the two
/// classes as in that port (pSp's copy takes it over the last axis, which mixes positions; not reproduced).
///
/// Images are read as 8-bit RGB and resized as PIL's 8-bit bilinear `resize` (`Windows.resized`), so on the same
/// picture boxes, scores and landmarks agree with the reference to about 1e-3 pixels.
public final class MTCNN {
    /// The detector's settings; the defaults are the reference's but for the pyramid factor.
    public struct Configuration: Equatable, Sendable {
        /// Smallest face side, in pixels, the pyramid looks for.
        public var minFaceSize: Double = 20
        /// Ratio between pyramid levels (the original MATLAB code's 0.709; the PyTorch port uses sqrt(0.5) = 0.707).
        public var scaleFactor: Double = 0.709
        /// Face-probability thresholds of P-Net, R-Net and O-Net (pSp's copy lowers them to 0.15, 0.25, 0.35).
        public var thresholds: (Double, Double, Double) = (0.6, 0.7, 0.8)
        /// Non-maximum-suppression overlap thresholds after each stage (intersection over union, then over the
        /// smaller box for O-Net).
        public var nmsThresholds: (Double, Double, Double) = (0.7, 0.7, 0.7)

        public init() {}

        public static func == (a: Configuration, b: Configuration) -> Bool {
            a.minFaceSize == b.minFaceSize && a.scaleFactor == b.scaleFactor && a.thresholds == b.thresholds
                && a.nmsThresholds == b.nmsThresholds
        }
    }

    public var configuration: Configuration
    public let device: Device
    let pnet: PNet
    let rnet: RNet
    let onet: ONet

    /// Loads `pnet`, `rnet` and `onet.safetensors` from `weights` (by default the copies shipped in this package),
    /// strictly: every key present, none extra, shapes equal.
    public init(weights: URL = Perception.bundledWeights.appendingPathComponent("mtcnn"), device: Device = .cpu,
                configuration: Configuration = Configuration()) throws
    {
        self.configuration = configuration
        self.device = device
        pnet = try PNet(device: device)
        rnet = try RNet(device: device)
        onet = try ONet(device: device)
        for (name, network) in [("pnet", pnet), ("rnet", rnet), ("onet", onet)] as [(String, Module)] {
            let file = weights.appendingPathComponent("\(name).safetensors").path
            try network.load(stateDict: Safetensors.read(file).tensors)
            try network.freeze().eval()
        }
    }

    /// Faces in an image, best score first; gray is read as RGB and alpha is ignored.
    public func detect(image: Image) throws -> [Face] {
        try detect(image: image.tensor(device: device))
    }

    /// Faces in `image` [1, 3, H, W] or [3, H, W], RGB in [-1, 1] (as `Image.tensor()` gives), best score first.
    ///
    /// The image is read as 8-bit, the precision MTCNN was built for. No face gives an empty list.
    public func detect(image: Tensor) throws -> [Face] {
        let shape = image.shape
        guard (shape.count == 4 && shape[0] == 1 && shape[1] == 3) || (shape.count == 3 && shape[0] == 3) else {
            throw TorchError("MTCNN: expected an RGB image [1, 3, H, W] or [3, H, W], got \(shape)")
        }
        return try withNoGrad {
            let pixels = try ((image.reshape([1, 3, shape[shape.count - 2], shape[shape.count - 1]])
                .to(device: device, dtype: .float32) + 1) * 127.5).round().clamp(min: 0, max: 255)
            let proposed = try proposeWindows(pixels)
            guard !proposed.isEmpty else { return [] }
            let refined = try refineWindows(pixels, proposed)
            guard !refined.isEmpty else { return [] }
            return try outputFaces(pixels, refined)
        }
    }

    /// The scales of the image pyramid: the first maps `minFaceSize` onto P-Net's 12-pixel cell, each next one is
    /// `scaleFactor` smaller, down to where the image's short side would drop to 12 pixels or less.
    static func pyramidScales(width: Int, height: Int, minFaceSize: Double, factor: Double) -> [Double] {
        let first = Windows.cellSize / minFaceSize
        var side = Double(min(width, height)) * first
        var scales: [Double] = []
        while side > Windows.cellSize {
            scales.append(first * pow(factor, Double(scales.count)))
            side *= factor
        }
        return scales
    }

    /// Stage 1: P-Net over the pyramid -> calibrated square windows with whole-pixel corners.
    private func proposeWindows(_ pixels: Tensor) throws -> [Candidate] {
        let (height, width) = (pixels.size(2), pixels.size(3))
        var windows: [Candidate] = []
        let scales = Self.pyramidScales(width: width, height: height, minFaceSize: configuration.minFaceSize,
                                        factor: configuration.scaleFactor)
        for scale in scales {
            let scaled = try Windows.resized(pixels, height: Int((Double(height) * scale).rounded(.up)),
                                             width: Int((Double(width) * scale).rounded(.up)))
            let out = try pnet(Windows.normalised(scaled))
            let found = try Windows.proposals(probabilities: out.probabilities.select(0, 0).select(0, 1),
                                              offsets: out.offsets.select(0, 0), scale: scale,
                                              threshold: configuration.thresholds.0)
            windows += nonMaximumSuppression(found, threshold: 0.5).map { found[$0] }
        }
        return nonMaximumSuppression(windows, threshold: configuration.nmsThresholds.0)
            .map { windows[$0].calibrated().squared().rounded() }
            .filter(\.isCroppable)
    }

    /// Stage 2: R-Net on 24x24 crops -> the windows it accepts, calibrated, square, whole-pixel.
    private func refineWindows(_ pixels: Tensor, _ windows: [Candidate]) throws -> [Candidate] {
        let out = try rnet(Windows.crops(pixels, windows, size: 24))
        let accepted = try accept(windows, out.probabilities, out.offsets, threshold: configuration.thresholds.1)
        return nonMaximumSuppression(accepted.map(\.window), threshold: configuration.nmsThresholds.1)
            .map { accepted[$0].window.calibrated().squared().rounded() }
            .filter(\.isCroppable)
    }

    /// Stage 3: O-Net on 48x48 crops -> faces with landmarks, after a last suppression that drops nested boxes.
    private func outputFaces(_ pixels: Tensor, _ windows: [Candidate]) throws -> [Face] {
        let out = try onet(Windows.crops(pixels, windows, size: 48))
        let accepted = try accept(windows, out.probabilities, out.offsets, threshold: configuration.thresholds.2)
        let marks = try out.landmarks.doubles()  // [N * 10]
        // Landmarks are placed in the window O-Net saw, before its box is calibrated.
        let faces = accepted.map { window, index -> (Candidate, FaceLandmarks) in
            func point(_ k: Int) -> FacePoint {
                FacePoint(x: window.x1 + window.width * marks[10 * index + k],
                          y: window.y1 + window.height * marks[10 * index + 5 + k])
            }
            let landmarks = FaceLandmarks(leftEye: point(0), rightEye: point(1), nose: point(2), mouthLeft: point(3),
                                          mouthRight: point(4))
            return (window.calibrated(), landmarks)
        }
        return nonMaximumSuppression(faces.map(\.0), threshold: configuration.nmsThresholds.2, measure: .minimum)
            .map { i in
                let (box, landmarks) = faces[i]
                return Face(box: FaceBox(x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2), score: box.score,
                            landmarks: landmarks)
            }
    }

    /// The windows whose face probability (probabilities [N, 2]) exceeds `threshold`, rescored and carrying their
    /// offsets [N, 4], with their row in the network's output.
    private func accept(_ windows: [Candidate], _ probabilities: Tensor, _ offsets: Tensor, threshold: Double) throws
        -> [(window: Candidate, index: Int)]
    {
        let scores = try probabilities.select(1, 1).floats()
        let regressions = try offsets.doubles()
        // float32 against float32, as the reference compares NumPy float32 scores with a Python float.
        return windows.indices.filter { scores[$0] > Float(threshold) }.map { i in
            var window = windows[i]
            window.score = Double(scores[i])
            window.offsets = Array(regressions[4 * i..<4 * i + 4])
            return (window, i)
        }
    }
}
