import Foundation

/// A filled ellipse in image coordinates (x right, y down, both in [-1, 1] across the image), kept as the
/// inverse of the affine map from the unit disc, so a pixel's local coordinates are two multiply-adds away.
///
/// `bend` curves it: local y is shifted by `bend * x^2`, which lifts the ends for bend > 0 (a smile) and
/// lowers them for bend < 0 (an arch).
struct Ellipse {
    var center: SIMD2<Float>
    /// Rows of the inverse map: local = inverse * (p - center).
    var inverse: (SIMD2<Float>, SIMD2<Float>)
    var bend: Float = 0
    /// 1 drawn, 0 not drawn (per sample, so one batch mixes faces with and without a feature).
    var visible: Float = 1

    /// The ellipse `center + cos(t) * axis1 + sin(t) * axis2`.
    init(center: SIMD2<Float>, axis1: SIMD2<Float>, axis2: SIMD2<Float>, bend: Float = 0, visible: Bool = true) {
        let det = axis1.x * axis2.y - axis2.x * axis1.y
        let d = abs(det) < 1e-9 ? (det < 0 ? -1e-9 : 1e-9) : det
        self.center = center
        inverse = (SIMD2(axis2.y / d, -axis2.x / d), SIMD2(-axis1.y / d, axis1.x / d))
        self.bend = bend
        self.visible = visible ? 1 : 0
    }

    /// An upright ellipse turned by `angle` radians (clockwise on screen, as y points down).
    init(center: SIMD2<Float>, radii: SIMD2<Float>, angle: Float = 0, bend: Float = 0, visible: Bool = true) {
        let c = cos(angle), s = sin(angle)
        self.init(center: center, axis1: SIMD2(c, s) * radii.x, axis2: SIMD2(-s, c) * radii.y, bend: bend,
                  visible: visible)
    }

    /// The smaller half-axis: the least singular value of the map from the unit disc.
    var minorRadius: Float {
        let (a, b) = inverse
        let sum = (a * a).sum() + (b * b).sum()
        let det = a.x * b.y - a.y * b.x
        let largest = ((sum + max(0, sum * sum - 4 * det * det).squareRoot()) / 2).squareRoot()
        return 1 / max(largest, 1e-9)
    }

    /// Local coordinates of an image point.
    func local(_ p: SIMD2<Float>) -> SIMD2<Float> {
        let d = p - center
        return SIMD2((inverse.0 * d).sum(), (inverse.1 * d).sum())
    }

    /// The same ellipse scaled separately along its own two axes.
    func scaled(_ sx: Float, _ sy: Float) -> Ellipse {
        var e = self
        e.inverse = (inverse.0 / sx, inverse.1 / sy)
        return e
    }
}

extension Ellipse {
    /// An upright ellipse's radii (for ellipses made by `init(center:radii:angle:)`).
    var radii: SIMD2<Float> {
        let det = inverse.0.x * inverse.1.y - inverse.0.y * inverse.1.x
        // Columns of the forward map are the axes; their lengths are the radii.
        let a1 = SIMD2(inverse.1.y, -inverse.1.x) / det, a2 = SIMD2(-inverse.0.y, inverse.0.x) / det
        return SIMD2((a1 * a1).sum().squareRoot(), (a2 * a2).sum().squareRoot())
    }

    /// The image offset of a point given in this ellipse's local units.
    func axis(_ local: SIMD2<Float>) -> SIMD2<Float> {
        let det = inverse.0.x * inverse.1.y - inverse.0.y * inverse.1.x
        let a1 = SIMD2(inverse.1.y, -inverse.1.x) / det, a2 = SIMD2(-inverse.0.y, inverse.0.x) / det
        return a1 * local.x + a2 * local.y
    }

    /// A unit image direction given in this ellipse's (unscaled) frame.
    func direction(_ local: SIMD2<Float>) -> SIMD2<Float> {
        let d = axis(local)
        return d / max(1e-6, (d * d).sum().squareRoot())
    }
}
