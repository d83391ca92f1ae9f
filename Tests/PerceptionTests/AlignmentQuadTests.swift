import Foundation
@testable import Perception
import Testing

/// The FFHQ quad construction on hand-made landmarks, worked out by hand.
@Suite("Alignment quad")
struct AlignmentQuadTests {
    private func expectPoint(_ p: FacePoint, _ x: Double, _ y: Double,
                             sourceLocation: SourceLocation = #_sourceLocation)
    {
        #expect(abs(p.x - x) < 1e-9 && abs(p.y - y) < 1e-9, "\(p) vs (\(x), \(y))", sourceLocation: sourceLocation)
    }

    @Test func eyesSetTheScale() {
        // eye_avg (150, 100), eye_to_eye (100, 0), eye_to_mouth (0, 100).
        // x = (100, 0) - flipud((0, 100)) * [-1, 1] = (100, 0) - (-100, 0) = (200, 0), |x| = 200;
        // scale max(2 * 100, 1.8 * 100) = 200 -> x = (200, 0); y = flipud(x) * [-1, 1] = (0, 200);
        // c = (150, 100) + 0.1 * (0, 100) = (150, 110).
        let q = AlignmentQuad(leftEye: .init(x: 100, y: 100), rightEye: .init(x: 200, y: 100),
                              mouthLeft: .init(x: 120, y: 200), mouthRight: .init(x: 180, y: 200))
        expectPoint(q.topLeft, -50, -90)
        expectPoint(q.bottomLeft, -50, 310)
        expectPoint(q.bottomRight, 350, 310)
        expectPoint(q.topRight, 350, -90)
        #expect(abs(q.size - 400) < 1e-9)
        expectPoint(q.sourcePoint(u: 0.5, v: 0.5), 150, 110)
        expectPoint(q.sourcePoint(u: 0.375, v: 0.475), 100, 100)  // the left eye
    }

    @Test func mouthSetsTheScaleForNarrowEyes() {
        // eye_to_eye (40, 0), eye_to_mouth (0, 100): x = (40, 0) - (-100, 0) = (140, 0) -> unit (1, 0);
        // scale max(80, 180) = 180; c = (20, 0) + (0, 10).
        let q = AlignmentQuad(leftEye: .init(x: 0, y: 0), rightEye: .init(x: 40, y: 0),
                              mouthLeft: .init(x: 10, y: 100), mouthRight: .init(x: 30, y: 100))
        expectPoint(q.topLeft, -160, -170)
        expectPoint(q.bottomLeft, -160, 190)
        expectPoint(q.bottomRight, 200, 190)
        expectPoint(q.topRight, 200, -170)
        #expect(abs(q.size - 360) < 1e-9)
    }

    @Test func tiltedMouthTiltsTheCrop() {
        // eye_to_eye (100, 0) but eye_to_mouth (30, 100) (mouth off to the right):
        // x = (100, 0) - flipud((30, 100)) * [-1, 1] = (100, 0) - (-100, 30) = (200, -30), |x| = sqrt(40900);
        // scale max(200, 1.8 sqrt(10900) = 187.9) = 200 -> x = (200, -30) * 200 / sqrt(40900).
        let q = AlignmentQuad(leftEye: .init(x: 0, y: 0), rightEye: .init(x: 100, y: 0),
                              mouthLeft: .init(x: 50, y: 100), mouthRight: .init(x: 110, y: 100))
        let k = 200 / 40900.0.squareRoot()
        let (xx, xy) = (200 * k, -30 * k)
        let (yx, yy) = (-xy, xx)  // y = flipud(x) * [-1, 1]
        let (cx, cy) = (50 + 3.0, 0 + 10.0)
        expectPoint(q.topLeft, cx - xx - yx, cy - xy - yy)
        expectPoint(q.bottomRight, cx + xx + yx, cy + xy + yy)
        #expect(abs(q.size - 400) < 1e-9)
    }

    @Test func rotatesWithTheFace() {
        let landmarks = [FacePoint(x: 100, y: 100), .init(x: 200, y: 100), .init(x: 120, y: 200), .init(x: 180, y: 200)]
        let (s, c) = (sin(0.4), cos(0.4))
        let turned = landmarks.map { FacePoint(x: c * $0.x - s * $0.y, y: s * $0.x + c * $0.y) }
        let q = AlignmentQuad(leftEye: landmarks[0], rightEye: landmarks[1], mouthLeft: landmarks[2],
                              mouthRight: landmarks[3])
        let r = AlignmentQuad(leftEye: turned[0], rightEye: turned[1], mouthLeft: turned[2], mouthRight: turned[3])
        for (a, b) in zip(q.corners, r.corners) { expectPoint(b, c * a.x - s * a.y, s * a.x + c * a.y) }
        #expect(abs(q.size - r.size) < 1e-9)
    }
}
