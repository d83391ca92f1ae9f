/// A detection window between MTCNN's stages: inclusive corners (width x2 - x1 + 1), the face probability of the
/// stage that produced it, and that stage's regression offsets (tx1, ty1, tx2, ty2) as fractions of its size.
///
/// Coordinates stay in Double as the reference's float64 NumPy arrays do, so its rounding steps land the same.
struct Candidate: Equatable {
    var x1: Double
    var y1: Double
    var x2: Double
    var y2: Double
    var score: Double
    var offsets: [Double] = [0, 0, 0, 0]

    var width: Double { x2 - x1 + 1 }
    var height: Double { y2 - y1 + 1 }
    var area: Double { width * height }

    /// At least one pixel each way, so it can be cut out. Calibration can in principle invert a box; the reference
    /// would fail on such a window, here it is dropped.
    var isCroppable: Bool { width >= 1 && height >= 1 }

    /// Moves each corner by its offset times the window's width or height (the reference's `calibrate_box`).
    func calibrated() -> Candidate {
        let (w, h) = (width, height)
        var c = self
        c.x1 += offsets[0] * w
        c.y1 += offsets[1] * h
        c.x2 += offsets[2] * w
        c.y2 += offsets[3] * h
        return c
    }

    /// The square of side max(width, height) with the same centre (`convert_to_square`), so the next network sees
    /// an undistorted crop.
    func squared() -> Candidate {
        let (w, h) = (width, height)
        let side = max(w, h)
        var c = self
        c.x1 = x1 + w * 0.5 - side * 0.5
        c.y1 = y1 + h * 0.5 - side * 0.5
        c.x2 = c.x1 + side - 1
        c.y2 = c.y1 + side - 1
        return c
    }

    /// Corners rounded half to even, as `np.round`, so crops start on whole pixels.
    func rounded() -> Candidate {
        var c = self
        c.x1 = x1.rounded(.toNearestOrEven)
        c.y1 = y1.rounded(.toNearestOrEven)
        c.x2 = x2.rounded(.toNearestOrEven)
        c.y2 = y2.rounded(.toNearestOrEven)
        return c
    }
}

/// How two windows' overlap is measured in non-maximum suppression.
enum OverlapMeasure {
    /// Intersection over union.
    case union
    /// Intersection over the smaller area: O-Net's last pass uses it to drop a window nested inside a better one.
    case minimum
}

/// Greedy non-maximum suppression (the reference's `nms`): repeatedly keeps the best-scoring window and drops every
/// other whose overlap with it exceeds `threshold`. Areas and intersections count whole pixels (+1), as MTCNN does.
///
/// - Returns: indices into `windows` of the kept ones, best score first. Equal scores go to the later window, as
///   picking from the end of an ascending stable sort does.
func nonMaximumSuppression(_ windows: [Candidate], threshold: Double, measure: OverlapMeasure = .union) -> [Int] {
    var remaining = windows.indices.sorted { a, b in
        windows[a].score != windows[b].score ? windows[a].score > windows[b].score : a > b
    }
    var kept: [Int] = []
    while let best = remaining.first {
        kept.append(best)
        let b = windows[best]
        remaining = remaining.dropFirst().filter { other in
            let o = windows[other]
            let w = max(0, min(b.x2, o.x2) - max(b.x1, o.x1) + 1)
            let h = max(0, min(b.y2, o.y2) - max(b.y1, o.y1) + 1)
            let intersection = w * h
            let overlap = switch measure {
            case .union: intersection / (b.area + o.area - intersection)
            case .minimum: intersection / min(b.area, o.area)
            }
            return !(overlap > threshold)
        }
    }
    return kept
}
