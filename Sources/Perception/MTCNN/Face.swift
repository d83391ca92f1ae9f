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
    /// O-Net's face probability, in (threshold, 1].
    public var score: Double
    public var landmarks: FaceLandmarks

    public init(box: FaceBox, score: Double, landmarks: FaceLandmarks) {
        self.box = box
        self.score = score
        self.landmarks = landmarks
    }
}
