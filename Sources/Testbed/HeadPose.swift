import Foundation

/// The head as an ellipsoid turned by yaw, pitch and roll and projected orthographically: features are points
/// on its surface, so one pose moves all of them, and their masks, consistently.
struct HeadPose {
    /// Head centre in the image.
    let center: SIMD2<Float>
    /// Ellipsoid radii (x right, y down, z towards the camera), in image units.
    let radii: SIMD3<Float>
    /// Rows of the rotation (roll after yaw after pitch).
    let rotation: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)
    let yaw: Float, pitch: Float, roll: Float

    init(center: SIMD2<Float>, radii: SIMD3<Float>, yaw: Float, pitch: Float, roll: Float) {
        self.center = center
        self.radii = radii
        self.yaw = yaw
        self.pitch = pitch
        self.roll = roll
        let (cy, sy) = (cos(yaw), sin(yaw)), (cp, sp) = (cos(pitch), sin(pitch)), (cr, sr) = (cos(roll), sin(roll))
        // Pitch (about x, + tips the face down), then yaw (about y, + turns it to the image's right), then roll.
        let pitchM = (SIMD3<Float>(1, 0, 0), SIMD3<Float>(0, cp, sp), SIMD3<Float>(0, -sp, cp))
        let yawM = (SIMD3<Float>(cy, 0, sy), SIMD3<Float>(0, 1, 0), SIMD3<Float>(-sy, 0, cy))
        let rollM = (SIMD3<Float>(cr, -sr, 0), SIMD3<Float>(sr, cr, 0), SIMD3<Float>(0, 0, 1))
        rotation = Self.multiply(rollM, Self.multiply(yawM, pitchM))
    }

    private static func multiply(_ a: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>),
                                 _ b: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)) -> (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)
    {
        let columns = (SIMD3(b.0.x, b.1.x, b.2.x), SIMD3(b.0.y, b.1.y, b.2.y), SIMD3(b.0.z, b.1.z, b.2.z))
        func row(_ r: SIMD3<Float>) -> SIMD3<Float> {
            SIMD3((r * columns.0).sum(), (r * columns.1).sum(), (r * columns.2).sum())
        }
        return (row(a.0), row(a.1), row(a.2))
    }

    func rotate(_ v: SIMD3<Float>) -> SIMD3<Float> {
        SIMD3((rotation.0 * v).sum(), (rotation.1 * v).sum(), (rotation.2 * v).sum())
    }

    /// The image position of a head-frame point.
    func project(_ p: SIMD3<Float>) -> SIMD2<Float> {
        let r = rotate(p)
        return center + SIMD2(r.x, r.y)
    }

    /// How far a head-frame point sits towards the camera after turning (+ in front of the head centre).
    func depth(_ p: SIMD3<Float>) -> Float { rotate(p).z }

    /// The surface point at (u, v) (fractions of the x and y radii), pushed out by `lift` along z.
    func surface(_ u: Float, _ v: Float, lift: Float = 1) -> SIMD3<Float> {
        let z = radii.z * (max(0.02, 1 - u * u - v * v)).squareRoot() * lift
        return SIMD3(u * radii.x, v * radii.y, z)
    }

    /// A flat feature lying on the surface at (u, v): its projected tangent axes (unit length before projection),
    /// so half-widths along the surface shrink as the surface turns away.
    func tangents(_ u: Float, _ v: Float) -> (SIMD2<Float>, SIMD2<Float>) {
        let p = surface(u, v)
        var n = p / (radii * radii)
        n /= (n * n).sum().squareRoot()
        var t1 = SIMD3<Float>(n.z, 0, -n.x)
        t1 /= (t1 * t1).sum().squareRoot()
        let t2 = SIMD3<Float>(n.y * t1.z - n.z * t1.y, n.z * t1.x - n.x * t1.z, n.x * t1.y - n.y * t1.x)
        let a = rotate(t1), b = rotate(t2)
        return (SIMD2(a.x, a.y), SIMD2(b.x, b.y))
    }

    /// An ellipse lying on the surface at (u, v) with half-axes `a` (across) and `b` (down), offset along the
    /// surface by `shift` (in the same units), optionally lifted off the surface.
    func feature(_ u: Float, _ v: Float, a: Float, b: Float, shift: SIMD2<Float> = .zero, lift: Float = 1,
                 bend: Float = 0, visible: Bool = true) -> Ellipse
    {
        let (t1, t2) = tangents(u, v)
        let c = project(surface(u, v, lift: lift)) + t1 * shift.x + t2 * shift.y
        return Ellipse(center: c, axis1: t1 * a, axis2: t2 * b, bend: bend, visible: visible)
    }

    /// The outline of the head: the projected ellipsoid, turned by roll.
    var outline: Ellipse {
        let w = (pow(radii.x * cos(yaw), 2) + pow(radii.z * sin(yaw), 2)).squareRoot()
        let h = (pow(radii.y * cos(pitch), 2) + pow(radii.z * sin(pitch), 2)).squareRoot()
        return Ellipse(center: center, radii: SIMD2(w, h), angle: roll)
    }
}
