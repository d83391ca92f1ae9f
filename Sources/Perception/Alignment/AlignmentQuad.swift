import Foundation

/// The oriented square the FFHQ alignment crops a face from (`align_face` in the FFHQ dataset script, which pSp and
/// e4e use), built from the eyes and mouth corners.
///
/// With e = eye to eye and m = eye midpoint to mouth midpoint: the crop's x axis is e minus m turned a quarter
/// turn, so a tilted mouth pulls it too; its half-side is max(2 |e|, 1.8 |m|); y is x turned a quarter turn; the
/// centre sits 0.1 m below the eye midpoint. Everything is in source pixels, pixel centres on whole numbers.
public struct AlignmentQuad: Equatable, Sendable {
    /// The corners that land on the output's top-left, bottom-left, bottom-right and top-right (PIL's QUAD order).
    public var topLeft: FacePoint
    public var bottomLeft: FacePoint
    public var bottomRight: FacePoint
    public var topRight: FacePoint
    /// The side length (the script's `qsize`).
    public var size: Double

    public init(topLeft: FacePoint, bottomLeft: FacePoint, bottomRight: FacePoint, topRight: FacePoint, size: Double) {
        self.topLeft = topLeft
        self.bottomLeft = bottomLeft
        self.bottomRight = bottomRight
        self.topRight = topRight
        self.size = size
    }

    /// The script's construction from the eye centres (dlib: the means of points 36-41 and 42-47) and the mouth
    /// corners (dlib: outer-lip points 48 and 54); MTCNN's five landmarks stand in for them. The nose is not used.
    public init(leftEye: FacePoint, rightEye: FacePoint, mouthLeft: FacePoint, mouthRight: FacePoint) {
        let eyeAverage = (leftEye + rightEye) * 0.5
        let eyeToEye = rightEye - leftEye
        let eyeToMouth = (mouthLeft + mouthRight) * 0.5 - eyeAverage
        // x = eye_to_eye - flipud(eye_to_mouth) * [-1, 1]: flipud then the sign flip turns (a, b) into (-b, a).
        var x = eyeToEye - eyeToMouth.quarterTurn
        // `x /= np.hypot(*x); x *= max(...)`, in that order, so the corners round as the script's do.
        x = x / x.length
        x = x * max(eyeToEye.length * 2, eyeToMouth.length * 1.8)
        let y = x.quarterTurn
        let c = eyeAverage + eyeToMouth * 0.1
        self.init(topLeft: c - x - y, bottomLeft: c - x + y, bottomRight: c + x + y, topRight: c + x - y,
                  size: x.length * 2)
    }

    public init(landmarks: FaceLandmarks) {
        self.init(leftEye: landmarks.leftEye, rightEye: landmarks.rightEye, mouthLeft: landmarks.mouthLeft,
                  mouthRight: landmarks.mouthRight)
    }

    /// Corners in PIL's QUAD order.
    public var corners: [FacePoint] { [topLeft, bottomLeft, bottomRight, topRight] }

    /// The source point at (u, v) of the output, both in [0, 1] from the top-left corner: the bilinear blend of the
    /// corners that PIL's QUAD transform uses.
    public func sourcePoint(u: Double, v: Double) -> FacePoint {
        topLeft + (topRight - topLeft) * u + (bottomLeft - topLeft) * v
            + (bottomRight - bottomLeft - topRight + topLeft) * (u * v)
    }

    /// The quad in an image shrunk by `divisor` (the script's shrink step divides, so this does too).
    func shrunk(by divisor: Double) -> AlignmentQuad {
        AlignmentQuad(topLeft: topLeft / divisor, bottomLeft: bottomLeft / divisor, bottomRight: bottomRight / divisor,
                      topRight: topRight / divisor, size: size / divisor)
    }

    /// The quad in an image whose origin moved to `origin` (cropping moves it right/down, padding left/up).
    func moved(origin: FacePoint) -> AlignmentQuad {
        AlignmentQuad(topLeft: topLeft - origin, bottomLeft: bottomLeft - origin, bottomRight: bottomRight - origin,
                      topRight: topRight - origin, size: size)
    }

    /// The integer bounds (floor of the minima, ceil of the maxima) the script crops and pads by.
    var pixelBounds: (left: Int, top: Int, right: Int, bottom: Int) {
        let xs = corners.map(\.x)
        let ys = corners.map(\.y)
        return (Int(xs.min()!.rounded(.down)), Int(ys.min()!.rounded(.down)), Int(xs.max()!.rounded(.up)),
                Int(ys.max()!.rounded(.up)))
    }
}

extension FacePoint {
    static func + (a: FacePoint, b: FacePoint) -> FacePoint { FacePoint(x: a.x + b.x, y: a.y + b.y) }
    static func - (a: FacePoint, b: FacePoint) -> FacePoint { FacePoint(x: a.x - b.x, y: a.y - b.y) }
    static func * (a: FacePoint, s: Double) -> FacePoint { FacePoint(x: a.x * s, y: a.y * s) }
    static func / (a: FacePoint, s: Double) -> FacePoint { FacePoint(x: a.x / s, y: a.y / s) }

    /// Euclidean length, as `np.hypot`.
    var length: Double { hypot(x, y) }

    /// (x, y) -> (-y, x): a quarter turn, clockwise on screen where y points down.
    var quarterTurn: FacePoint { FacePoint(x: -y, y: x) }
}
