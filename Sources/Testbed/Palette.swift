/// The colours faces, hair and scenes are drawn in.
enum Palette {
    /// From fair to deep brown; `warmth` shifts towards red (+) or olive (-).
    static func skin(tone: Float, warmth: Float) -> RGB {
        let stops = [RGB(0.96, 0.84, 0.74), RGB(0.89, 0.71, 0.58), RGB(0.76, 0.55, 0.40), RGB(0.56, 0.37, 0.25),
                     RGB(0.36, 0.23, 0.15)]
        let x = tone * Float(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let c = stops[i].mixed(with: stops[i + 1], x - Float(i))
        return RGB(c.r + 0.03 * warmth, c.g - 0.01 * warmth, c.b - 0.02 * warmth)
    }

    static func lips(skin: RGB, redness: Float) -> RGB {
        skin.mixed(with: RGB(0.72, 0.25, 0.28), 0.35 + 0.3 * redness).scaled(0.85)
    }

    static let iris = [RGB(0.35, 0.2, 0.1), RGB(0.22, 0.12, 0.06), RGB(0.25, 0.45, 0.7), RGB(0.3, 0.5, 0.3),
                       RGB(0.45, 0.5, 0.55), RGB(0.5, 0.35, 0.15)]

    static let hair = [RGB(0.08, 0.07, 0.07), RGB(0.22, 0.14, 0.09), RGB(0.38, 0.25, 0.15), RGB(0.55, 0.28, 0.12),
                       RGB(0.82, 0.68, 0.42), RGB(0.65, 0.5, 0.32), RGB(0.15, 0.11, 0.09)]

    static let frames = [RGB(0.05, 0.05, 0.05), RGB(0.35, 0.2, 0.1), RGB(0.7, 0.6, 0.35), RGB(0.55, 0.1, 0.12),
                         RGB(0.15, 0.2, 0.45)]

    static let metals = [RGB(0.9, 0.75, 0.3), RGB(0.85, 0.85, 0.88), RGB(0.8, 0.5, 0.35)]

    /// A muted colour for walls and sky.
    static func background(_ h: inout SeedHash) -> RGB {
        hsv(h.unit(), h.uniform(0.05...0.45), h.uniform(0.35...0.95))
    }

    /// A saturated or dark colour for clothes and hats.
    static func cloth(_ h: inout SeedHash) -> RGB {
        hsv(h.unit(), h.uniform(0.2...0.85), h.uniform(0.15...0.85))
    }

    static func hsv(_ hue: Float, _ saturation: Float, _ value: Float) -> RGB {
        let h = hue * 6
        let i = Int(h) % 6
        let f = h - Float(Int(h))
        let p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f))
        switch i {
        case 0: return RGB(value, t, p)
        case 1: return RGB(q, value, p)
        case 2: return RGB(p, value, t)
        case 3: return RGB(p, q, value)
        case 4: return RGB(t, p, value)
        default: return RGB(value, p, q)
        }
    }
}
