import Torch

/// Paints a batch of faces back to front: background (already on the canvas), long hair, neck, clothes and
/// necklace, ears, head, facial hair, nose, eyes, brows, mouth, hair, earrings, glasses, hat; then shades the
/// figure with the light.
struct FacePainter {
    let canvas: Canvas
    let faces: [TestbedFace]
    let layouts: [FaceLayout]

    private func shapes(_ pick: (FaceLayout) -> Ellipse) -> [Ellipse] { layouts.map(pick) }
    private func colours(_ pick: (TestbedFace) -> RGB) throws -> Tensor { try canvas.colours(faces.map(pick)) }

    /// `base` multiplied by a second coverage over its window (a shape cut by another).
    private func times(_ base: Coverage?, _ factor: (Window) throws -> Tensor) throws -> Coverage? {
        guard let base else { return nil }
        return Coverage(values: try base.values * factor(base.window), window: base.window)
    }

    func paint() throws {
        let c = canvas
        let hair = try strands(colours(\.identity.hair))
        let back = try c.coverage(shapes(\.backHair))
        try c.paint(back, hair, label: .hair)
        try c.addFigure(back)

        let neck = try c.coverage(shapes(\.neck))
        try c.paint(neck, colours { $0.identity.skin.scaled(0.8) }, label: .neck)
        try c.addFigure(neck)
        try c.paint(times(neck) { try c.coverage(shapes(\.chinShadow), in: $0) }, colours { $0.identity.skin.scaled(0.5) },
                    label: nil, opacity: 0.5)
        let cloth = try times(c.coverage(shapes(\.cloth))) { try 1 - c.coverage(shapes(\.neckOpening), in: $0) }
        try c.paint(cloth, colours(\.variation.cloth), label: .cloth)
        try c.addFigure(cloth)
        let necklace = try times(c.coverage(shapes(\.necklace))) {
            try 1 - c.coverage(shapes { $0.necklace.scaled(0.93, 0.8) }, in: $0)
        }
        try c.paint(necklace, colours(\.variation.necklaceColor), label: .necklace)

        let skin = try colours(\.identity.skin)
        for (side, label) in [(\FaceLayout.sides.right, FaceClass.rightEar), (\FaceLayout.sides.left, FaceClass.leftEar)] {
            let ear = try c.coverage(shapes { $0[keyPath: side].ear })
            try c.paint(ear, colours { $0.identity.skin.scaled(0.95) }, label: label)
            try c.addFigure(ear)
            try c.paint(c.coverage(shapes { $0[keyPath: side].ear.scaled(0.5, 0.62) }), colours { $0.identity.skin.scaled(0.78) },
                        label: nil, opacity: 0.7)
        }

        // The head narrows towards the chin (jaw) and the chin follows the yaw (by at most half its width).
        let jaw = try c.columns(layouts.map { [$0.jaw, $0.chinShift] })
        let headShapes = shapes(\.head)
        guard let headWindow = c.window(headShapes, grow: SIMD2(1.5, 1)) else { return }
        let headValues = try c.coverage(headShapes, in: headWindow) { lx, ly in
            let below = try ly.clamp(min: 0).square()
            return (try (lx - below * jaw[1]) / (1 - below * jaw[0] * 0.45), ly)
        }
        let head = Coverage(values: headValues, window: headWindow)
        try c.paint(head, skin, label: .skin)
        try c.addFigure(head)
        let lines = layouts.first?.foreheadLines.count ?? 0
        for k in 0..<lines {
            try c.paint(c.coverage(shapes { $0.foreheadLines[k] }), colours { $0.identity.skin.scaled(0.8) }, label: nil,
                        opacity: 0.5)
        }
        if faces.contains(where: \.identity.beard) {
            let beard = try headValues * c.coverage(layouts.map(\.beardLine), in: headWindow)
                * c.columns(faces.map { [$0.identity.beard ? 1 : 0] })[0]
            try c.paint(Coverage(values: beard, window: headWindow), hair, label: .skin, opacity: 0.92)
        }

        for cheek in [\FaceLayout.cheeks.0, \FaceLayout.cheeks.1] {
            try c.paint(c.coverage(shapes { $0[keyPath: cheek] }), colours { $0.identity.lips }, label: nil, opacity: 0.12)
        }
        try c.paint(c.coverage(shapes(\.noseBridge)), colours { $0.identity.skin.scaled(0.97) }, label: .nose)
        try c.paint(c.coverage(shapes(\.noseShadow)), colours { $0.identity.skin.scaled(0.8) }, label: nil, opacity: 0.45)
        try c.paint(c.coverage(shapes(\.noseTip)), colours { $0.identity.skin.scaled(1.04) }, label: .nose)
        for nostril in [\FaceLayout.nostrils.0, \FaceLayout.nostrils.1] {
            try c.paint(c.coverage(shapes { $0[keyPath: nostril] }), colours { $0.identity.skin.scaled(0.45) }, label: nil,
                        opacity: 0.8)
        }

        for (side, eyeLabel, browLabel) in [(\FaceLayout.sides.right, FaceClass.rightEye, FaceClass.rightBrow),
                                             (\FaceLayout.sides.left, FaceClass.leftEye, FaceClass.leftBrow)] {
            try c.paint(c.coverage(shapes { $0[keyPath: side].crease }), colours { $0.identity.skin.scaled(0.6) }, label: nil,
                        opacity: 0.45)
            let dark = try colours { $0.identity.hair.scaled(0.5) }
            try c.paint(c.coverage(shapes { $0[keyPath: side].lashes }), dark, label: eyeLabel, opacity: 0.9)
            if let white = try c.coverage(shapes { $0[keyPath: side].white }) {
                try c.paint(white, colours { _ in RGB(0.93, 0.92, 0.88) }, label: eyeLabel)
                // Iris, pupil and glint show only inside the eye's opening.
                func inside(_ part: (SideLayout) -> Ellipse) throws -> Coverage? {
                    try times(white) { try c.coverage(shapes { part($0[keyPath: side]) }, in: $0) }
                }
                try c.paint(inside(\.iris), colours(\.identity.iris), label: nil)
                try c.paint(inside(\.pupil), colours { _ in RGB(0.03, 0.03, 0.03) }, label: nil)
                try c.paint(inside(\.glint), colours { _ in RGB(1, 1, 1) }, label: nil, opacity: 0.85)
            }
            try c.paint(c.coverage(shapes { $0[keyPath: side].brow }), colours { $0.identity.hair.scaled(0.8) }, label: browLabel)
        }

        try c.paint(c.coverage(shapes(\.upperLip)), colours(\.identity.lips), label: .upperLip)
        try c.paint(c.coverage(shapes(\.lowerLip)), colours { $0.identity.lips.scaled(1.08) }, label: .lowerLip)
        if let inner = try c.coverage(shapes(\.mouthInner)) {
            try c.paint(inner, colours { _ in RGB(0.3, 0.06, 0.08) }, label: .mouth)
            try c.paint(times(inner) { try c.coverage(shapes(\.teeth), in: $0) }, colours { _ in RGB(0.92, 0.9, 0.84) },
                        label: nil)
        }
        try c.paint(c.coverage(shapes(\.moustache)), hair, label: .skin)

        let cap = try times(c.coverage(shapes(\.hairVolume))) { try c.coverage(layouts.map(\.hairline), in: $0) }
        try c.paint(cap, hair, label: .hair)
        try c.addFigure(cap)

        for side in [\FaceLayout.sides.right, \FaceLayout.sides.left] {
            try c.paint(c.coverage(shapes { $0[keyPath: side].earring }), colours(\.variation.earringColor), label: .earring)
        }

        for side in [\FaceLayout.sides.right, \FaceLayout.sides.left] {
            guard var outer = try c.coverage(shapes { $0[keyPath: side].lensOuter }) else { continue }
            let lens = try c.coverage(shapes { $0[keyPath: side].lensInner }, in: outer.window)
            try c.paint(Coverage(values: lens, window: outer.window), colours { _ in RGB(0.75, 0.85, 0.9) }, label: .eyeGlasses,
                        opacity: 0.18)
            outer.values = try outer.values * (1 - lens)
            try c.paint(outer, colours(\.variation.glassesFrame), label: .eyeGlasses)
        }
        try c.paint(c.coverage(shapes(\.glassesBridge)), colours(\.variation.glassesFrame), label: .eyeGlasses)

        // A hat: the dome above its band, and the brim.
        let hatShapes = shapes(\.hatDome) + shapes(\.hatBrim)
        if let window = c.window(hatShapes) {
            let dome = try c.coverage(shapes(\.hatDome), in: window) * c.coverage(layouts.map(\.hatBand), in: window)
            let brim = try c.coverage(shapes(\.hatBrim), in: window)
            let hat = Coverage(values: try dome + brim * (1 - dome), window: window)
            try c.paint(hat, colours(\.variation.hatColor), label: .hat)
            try c.addFigure(hat)
        }

        try shade()
    }

    /// Hair colour [N, 3, S, S] with fine strands radiating from the crown.
    private func strands(_ colour: Tensor) throws -> Tensor {
        let c = canvas
        let crown = try c.columns(layouts.map { [$0.head.center.x, $0.head.center.y - $0.head.radii.y * 1.6] })
        let angle = try (c.x - crown[0]).atan2(c.y - crown[1])
        let wave = try (angle * (0.3 * Double(c.size))).sin()
        return try colour * (wave * 0.08 + 1).unsqueeze(1)
    }

    /// Lambert shading of the head as an ellipsoid, softer on the body, under each face's light.
    private func shade() throws {
        let c = canvas
        let p = try c.columns(layouts.map {
            [$0.head.center.x, $0.head.center.y, $0.head.inverse.0.x, $0.head.inverse.0.y, $0.head.inverse.1.x,
             $0.head.inverse.1.y, $0.light.x, $0.light.y, $0.light.z, $0.ambient]
        })
        let dx = try c.x - p[0], dy = try c.y - p[1]
        let nx = try dx * p[2] + dy * p[3], ny = try dx * p[4] + dy * p[5]
        let r2 = try nx.square() + ny.square()
        let nz = try (1 - r2).clamp(min: 0).sqrt()
        let norm = try r2.clamp(min: 1).sqrt()
        let lambert = try ((nx * p[6] + ny * p[7]) / norm + nz * p[8]).clamp(min: 0)
        // Ambient plus the key light, and a little fill from the camera so faces turned from the light keep detail.
        let headShade = try p[9] + (1.1 - p[9]) * lambert + nz * 0.12
        let bodyShade = try p[9] + (1.1 - p[9]) * (dx.clamp(min: -0.8, max: 0.8) * p[6] * 0.4 + 0.7).clamp(min: 0, max: 1)
        let near = try (1.6 - r2.sqrt()).clamp(min: 0, max: 1)
        let shade = try bodyShade + near * (headShade - bodyShade)
        c.image = try c.image * (1 + c.figure * (shade - 1)).unsqueeze(1)
    }
}
