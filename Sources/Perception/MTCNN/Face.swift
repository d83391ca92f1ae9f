import Torch

/// A position in an image, in pixels: x to the right, y down, pixel (i, j) centred on (i, j) as MTCNN and the
/// FFHQ alignment script count them.
public struct FacePoint: Equatable, Hashable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// MTCNN's five landmarks. Left and right are as seen in the image: `leftEye` is the eye nearer x = 0.
public struct FaceLandmarks: Equatable, Sendable {
    public var leftEye: FacePoint
    public var rightEye: FacePoint
    public var nose: FacePoint
    public var mouthLeft: FacePoint
    public var mouthRight: FacePoint

    public init(leftEye: FacePoint, rightEye: FacePoint, nose: FacePoint, mouthLeft: FacePoint, mouthRight: FacePoint) {
        self.leftEye = leftEye
        self.rightEye = rightEye
        self.nose = nose
        self.mouthLeft = mouthLeft
        self.mouthRight = mouthRight
    }

    /// In MTCNN's output order: left eye, right eye, nose, mouth left, mouth right.
    public var points: [FacePoint] { [leftEye, rightEye, nose, mouthLeft, mouthRight] }
    /// The five points from dlib's 68 (iBUG 300-W order) as the FFHQ alignment script takes them: each eye the mean
    /// of its six points (36-41 nearer x = 0, 42-47), the nose tip (30), the outer mouth corners (48, 54).
    public init(dlib68 points: [FacePoint]) throws {
        guard points.count == 68 else {
            throw TorchError("FaceLandmarks: dlib's 68-point layout needs 68 points, got \(points.count)")
        }
        func mean(_ range: Range<Int>) -> FacePoint {
            let sum = points[range].reduce(FacePoint(x: 0, y: 0)) { FacePoint(x: $0.x + $1.x, y: $0.y + $1.y) }
            return FacePoint(x: sum.x / Double(range.count), y: sum.y / Double(range.count))
        }
        self.init(leftEye: mean(36..<42), rightEye: mean(42..<48), nose: points[30], mouthLeft: points[48],
                  mouthRight: points[54])
    }
}

/// A face rectangle with MTCNN's inclusive corners: it spans x1...x2, so its width is x2 - x1 + 1.
public struct FaceBox: Equatable, Sendable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double

    public init(x1: Double, y1: Double, x2: Double, y2: Double) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    public var width: Double { x2 - x1 + 1 }
    public var height: Double { y2 - y1 + 1 }
    /// What "largest face" compares.
    public var area: Double { width * height }
}

/// One detected face, in the coordinates of the image it was found in.
public struct Face: Equatable, Sendable {
    public var box: FaceBox
    /// The detector's confidence: MTCNN's O-Net probability, in (threshold, 1]; dlib's detection score.
    public var score: Double
    /// The five points the FFHQ crop is built from.
    public var landmarks: FaceLandmarks
    /// Every landmark of the detector (dlib's 68), in its order; empty for MTCNN, whose five are `landmarks`.
    public var allLandmarks: [FacePoint]

    public init(box: FaceBox, score: Double, landmarks: FaceLandmarks, allLandmarks: [FacePoint] = []) {
        self.box = box
        self.score = score
        self.landmarks = landmarks
        self.allLandmarks = allLandmarks
    }
}
