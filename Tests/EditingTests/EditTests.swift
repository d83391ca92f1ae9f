import Checkpoints
@testable import Editing
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

/// Edits of inversions: W+ moves, row ranges, mixing, interpolation, the F-space rule, tuned generators.
@Suite("Edits")
struct EditTests {
    let loaded: LoadedGenerator
    let sha = String(repeating: "a", count: 64)
    let wPlus: Tensor
    let other: Tensor

    init() throws {
        try Runtime.start()
        loaded = try GeneratorCheckpoint.load(Fixtures.path("stylegan2-tiny64/generator.pt"))
        let cases = try Fixtures.cases("stylegan2-tiny64/cases.safetensors")
        wPlus = try #require(cases["w_plus"]).select(0, 0)
        other = try #require(cases["w_plus"]).select(0, 2)
    }

    func inversion(_ w: Tensor, feature: Bool = false, deltas: Bool = false) throws -> InversionFile {
        let f = feature ? (3, try Tensor.randn([64, 8, 8], generator: Generator(seed: 4)), 0.75) : nil
        let d: (InversionFile.DeltaKind, [String: Tensor])? = deltas
            ? (.multiplicative, ["convs.2.conv.weight": try Tensor.randn([1, 64, 64, 3, 3], generator: Generator(seed: 5)) * 0.05])
            : nil
        return InversionFile(wPlus: w, feature: f, deltas: d,
                             metadata: .init(method: "test", generatorSHA256: sha, imageSize: 64, seconds: 0))
    }

    var direction: LatentDirection { get throws { try LatentDirection(vector: Tensor.randn([128], generator: Generator(seed: 8)), label: "d") } }

    @Test func strengthZeroReproducesTheInversionExactly() throws {
        for (feature, deltas) in [(false, false), (true, false), (true, true)] {
            let file = try inversion(wPlus, feature: feature, deltas: deltas)
            let editor = try InversionEditor(loaded, inversion: file, generatorSHA256: sha)
            let w = try DirectionEdit.apply(editor.wPlus, along: direction, strength: 0, rows: .all(10))
            #expect(try maxAbsDifference(w, wPlus) == 0)
            let edited = try editor.edited(w)
            if feature { #expect(try maxAbsDifference(#require(edited.feature).tensor, #require(file.feature).tensor) == 0, "f' = f when w' = w") }
            let image = try editor.render(edited)
            #expect(try maxAbsDifference(image, loaded.render(file, generatorSHA256: sha)) == 0,
                    "feature \(feature), deltas \(deltas): same pixels as render")
        }
    }

    @Test func theFeatureMovesByWhatTheEditChangesAtLayerK() throws {
        let file = try inversion(wPlus, feature: true, deltas: true)
        let editor = try InversionEditor(loaded, inversion: file, generatorSHA256: sha)
        let w2 = try DirectionEdit.apply(editor.wPlus, along: direction, strength: 2.5, rows: .all(10))
        let edited = try editor.edited(w2)
        // G^K through the tuned weights, worked out separately.
        let tuned = try loaded.generator.applying(.multiplicative, #require(file.deltas).tensors)
        let gk = { (w: Tensor) in try tuned.feature(atLayer: 3, w.unsqueeze(0)).squeeze(0) }
        try expectClose(#require(edited.feature).tensor - #require(file.feature).tensor, try gk(w2) - gk(wPlus), tol: 1e-6, "f' - f = G^K(w') - G^K(w)")
        #expect(try maxAbsDifference(gk(w2), gk(wPlus)) > 1e-3, "the edit does change layer K")
        #expect(edited.feature!.layer == 3 && edited.feature!.blend == 0.75 && edited.deltas != nil)
        // The base generator would give another image: the tuned one is used.
        #expect(try maxAbsDifference(editor.generator.convs[2].conv.weight, loaded.generator.convs[2].conv.weight) > 0)
    }

    @Test func rowRangesGetTheEditAndOtherRowsKeepTheirCodes() throws {
        let d = try LatentDirection(vector: Tensor.randn([1, 128], generator: Generator(seed: 1)), unit: 0.5, label: "g")
        let rows = try RowWeights(rows: [6, 7, 8], count: 10)
        let w = try DirectionEdit.apply(wPlus, along: d, strength: -2, rows: rows)
        for r in 0..<10 {
            let change = try w.select(0, r) - wPlus.select(0, r)
            if [6, 7, 8].contains(r) {
                try expectClose(change, try d.vector * -1.0, tol: 1e-6, "row \(r): sigma -2 x std 0.5 x comp")
            } else {
                #expect(try change.abs().max().item() == 0, "row \(r) untouched")
            }
        }
        let half = try DirectionEdit.apply(wPlus, along: d, strength: 2, rows: RowWeights(values: [0.5] + Array(repeating: 0, count: 9)))
        try expectClose(half.select(0, 0) - wPlus.select(0, 0), d.vector * 0.5, tol: 1e-6, "per-row strength")
        #expect(throws: TorchError.self) { try RowWeights(rows: [9, 10], count: 10) }
        #expect(throws: TorchError.self) { try DirectionEdit.apply(wPlus, along: d, strength: .nan, rows: rows) }
        #expect(throws: TorchError.self) { try DirectionEdit.apply(wPlus, along: d, strength: 1, rows: .all(9)) }
        let narrow = try LatentDirection(vector: Tensor.ones([64]), label: "narrow")
        #expect(throws: TorchError.self) { try DirectionEdit.apply(wPlus, along: narrow, strength: 1, rows: .all(10)) }
    }

    /// `linear_interpolate` with its defaults (-3...3 in 10 steps): a W code [1, D] is moved to each signed
    /// distance from the boundary, a W+ code [1, L, D] by each distance; an InterFaceGAN boundary file (no
    /// sidecar) edits that way.
    @Test func interFaceGANsLinearInterpolate() throws {
        let ref = try OfficialReference.arrays()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-boundary.npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NumPy.writeArray(try ref.ref("interp_boundary"), to: path)
        let boundary = try DirectionFile.read(path).direction
        #expect(boundary.method == .interfacegan && boundary.defaultStrengths.count == 10)
        let w = try ref.ref("interp_w")  // [1, D]: one row
        let wp = try ref.ref("interp_wp").squeeze(0)  // [L, D]
        let (wOut, wpOut) = (try ref.ref("interp_w_out"), try ref.ref("interp_wp_out"))
        for (k, d) in boundary.defaultStrengths.enumerated() {
            try expectClose(DirectionEdit.apply(w, along: boundary, strength: d, rows: .all(1), mode: .position),
                            try wOut.select(0, k).unsqueeze(0), tol: 1e-6, "W code at distance \(d)")
            try expectClose(DirectionEdit.apply(wp, along: boundary, strength: d, rows: .all(4)), try wpOut.select(0, k),
                            tol: 1e-6, "W+ code moved by \(d)")
        }
    }

    @Test func positionsSetTheCoordinateFromTheCentreOnTheChosenRows() throws {
        let mean = try Tensor.randn([128], generator: Generator(seed: 3))
        let d = try LatentDirection(vector: Tensor.randn([128], generator: Generator(seed: 1)), unit: 0.5, label: "g",
                                    method: .ganspace, centre: mean)
        let rows = try RowWeights(rows: [2, 3], count: 10)
        let w = try DirectionEdit.apply(wPlus, along: d, strength: 1.5, rows: rows, mode: .position)
        let n = try d.vector.reshape([128, 1])
        let coordinates = try (w - mean).matmul(n).reshape([-1]).doubles()
        for r in 0..<10 {
            if [2, 3].contains(r) {
                #expect(abs(coordinates[r] - 0.75) < 1e-5, "row \(r): 1.5 sigma x std 0.5 from the mean")
                let change = try w.select(0, r) - wPlus.select(0, r)
                #expect(try (change - n.reshape([-1]) * (try (change * n.reshape([-1])).sum().item())).abs().max().item() < 1e-5,
                        "row \(r) moves along the direction only")
            } else {
                #expect(try maxAbsDifference(w.select(0, r), wPlus.select(0, r)) == 0, "row \(r) untouched")
            }
        }
        let sefa = try LatentDirection(vector: d.vector, label: "sefa0", method: .sefa)
        let error = #expect(throws: TorchError.self) { try DirectionEdit.apply(wPlus, along: sefa, strength: 1, rows: rows, mode: .position) }
        #expect(error?.message.contains("no position") == true)
        #expect(throws: TorchError.self) { try LatentDirection(vector: d.vector, label: "x", centre: Tensor.zeros([64])) }
    }

    /// The sweeps of the official tools: InterFaceGAN's edit.py, SeFa's sefa.py, GANSpace's visualize.py.
    @Test func defaultStrengthsAreTheOfficialSweeps() throws {
        func close(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-12 } }
        #expect(close(DirectionMethod.interfacegan.defaultStrengths, (0..<10).map { -3 + 6 * Double($0) / 9 }))
        #expect(close(DirectionMethod.sefa.defaultStrengths, (0..<11).map { -3 + 0.6 * Double($0) }))
        #expect(close(DirectionMethod.ganspace.defaultStrengths, [-2, -1, 0, 1, 2]))
        #expect(try close(direction.defaultStrengths, DirectionMethod.interfacegan.defaultStrengths), "unknown method: InterFaceGAN's")
    }

    @Test func styleMixingTakesTheChosenRows() throws {
        let rows = try RowWeights(rows: Array(4..<10), count: 10)
        let mixed = try StyleMixing.apply(wPlus, from: other, strength: 1, rows: rows)
        #expect(try maxAbsDifference(mixed.slice(0, 0, 4), wPlus.slice(0, 0, 4)) == 0)
        try expectClose(mixed.slice(0, 4, 10), other.slice(0, 4, 10), tol: 1e-6, "rows 4-9 from the other code")
        let none = try StyleMixing.apply(wPlus, from: other, strength: 0, rows: rows)
        #expect(try maxAbsDifference(none, wPlus) == 0)
        let halfway = try StyleMixing.apply(wPlus, from: other, strength: 0.5, rows: rows)
        try expectClose(halfway.slice(0, 4, 10), (wPlus.slice(0, 4, 10) + other.slice(0, 4, 10)) * 0.5, tol: 1e-6, "blend")
        #expect(throws: TorchError.self) { try StyleMixing.apply(wPlus, from: other.slice(0, 0, 9), strength: 1, rows: rows) }
    }

    @Test func interpolationIsLinearInWPlusAndF() throws {
        let a = try inversion(wPlus, feature: true)
        let b = try inversion(other)
        let editor = try InversionEditor(loaded, inversion: a, generatorSHA256: sha)
        let frames = try InversionInterpolation.frames(from: editor, to: b, count: 5)
        #expect(frames.count == 5)
        #expect(try maxAbsDifference(frames[0].wPlus, wPlus) == 0)
        try expectClose(frames[4].wPlus, other, tol: 1e-6, "last frame is the other inversion")
        try expectClose(frames[2].wPlus, (wPlus + other) * 0.5, tol: 1e-6, "midpoint")
        // b has no feature: its end is its own layer-3 output.
        let own = try loaded.generator.feature(atLayer: 3, other.unsqueeze(0)).squeeze(0)
        try expectClose(#require(frames[4].feature).tensor, own, tol: 1e-6, "feature at t = 1")
        try expectClose(#require(frames[1].feature).tensor, #require(a.feature).tensor * 0.75 + own * 0.25, tol: 1e-6, "feature at t = 1/4")
        #expect(frames.allSatisfy { $0.feature?.layer == 3 && $0.feature?.blend == 0.75 })
        #expect(throws: TorchError.self) { try InversionInterpolation.frames(from: editor, to: b, count: 1) }
        let tuned = try inversion(other, deltas: true)
        let error = #expect(throws: TorchError.self) { try InversionInterpolation.frames(from: editor, to: tuned, count: 3) }
        #expect(error?.message.contains("tuned") == true)
    }

    /// A recipe is the edits it names, in its order: each piece equals the edit done by hand, rows outside a range keep
    /// their codes, the feature follows w+, and what cannot be done is refused with a message.
    @Test func recipesComposeTheEditsTheyName() throws {
        let file = try inversion(wPlus, feature: true)
        let editor = try InversionEditor(loaded, inversion: file, generatorSHA256: sha)
        let sefa = try SeFa.factorize(loaded.generator)
        let palette = EditRecipe.Palette(directions: ["d": try direction], sefa: sefa, latentAvg: loaded.latentAvg)
        func apply(_ recipe: EditRecipe, mix: Tensor? = nil, to other: InversionFile? = nil) throws -> InversionFile {
            try recipe.apply(to: editor, palette: palette, mixWith: mix, interpolateTo: other)
        }
        #expect(try maxAbsDifference(apply(EditRecipe()).wPlus, wPlus) == 0)
        let byName = try apply(EditRecipe(directions: ["d": 1.5]))
        try expectClose(byName.wPlus, try DirectionEdit.apply(wPlus, along: direction, strength: 1.5, rows: .all(10)), tol: 1e-6, "named")
        try expectClose(#require(byName.feature).tensor, try editor.edited(byName.wPlus).feature!.tensor, tol: 1e-6, "F-space rule")

        let component = try apply(EditRecipe(components: [.init(method: .sefa, index: 2, strength: 3, layers: [2, 4])]))
        let moved = try (component.wPlus - wPlus).abs().sum([1]).doubles()
        #expect(moved.indices.allSatisfy { (2...4).contains($0) == (moved[$0] > 1e-4) }, "rows 2...4 only: \(moved)")
        try expectClose(component.wPlus.select(0, 3) - wPlus.select(0, 3), sefa.directions.select(0, 2) * 3, tol: 1e-5, "SeFa step")

        let mixed = try apply(EditRecipe(mix: .init(layers: [5, 9])), mix: other)
        try expectClose(mixed.wPlus.narrow(0, start: 5, length: 5), other.narrow(0, start: 5, length: 5), tol: 1e-6, "rows taken")
        #expect(try maxAbsDifference(mixed.wPlus.narrow(0, start: 0, length: 5), wPlus.narrow(0, start: 0, length: 5)) == 0)

        let half = try apply(EditRecipe(interpolation: 0.5), to: inversion(other))
        try expectClose(half.wPlus, (wPlus + other) * 0.5, tol: 1e-6, "interpolation")
        let truncated = try apply(EditRecipe(truncation: 0))
        try expectClose(truncated.wPlus, loaded.latentAvg.reshape([1, -1]).expand([10, 128]), tol: 1e-6, "truncation 0: the average")

        for (recipe, words) in [
            (EditRecipe(directions: ["nope": 1]), "no direction named nope"),
            (EditRecipe(directions: ["d": 11]), "strength"),
            (EditRecipe(components: [.init(method: .sefa, index: 128, strength: 1)]), "SeFa has directions 0...127"),
            (EditRecipe(components: [.init(method: .ganspace, index: 0, strength: 1)]), "not loaded"),
            (EditRecipe(components: [.init(method: .sefa, index: 0, strength: 1, layers: [3, 10])]), "layers"),
            (EditRecipe(mix: .init(layers: [0, 1])), "second code"),
            (EditRecipe(interpolation: 0.5), "second inversion"),
            (EditRecipe(truncation: 3), "truncation"),
        ] {
            let error = #expect(throws: EditRecipeError.self) { try apply(recipe) }
            #expect(error?.description.contains(words) == true, "\(error?.description ?? "")")
        }
        let decoded = try JSONDecoder().decode(EditRecipe.self, from: Data(#"{"components":[{"method":"sefa","index":1,"strength":2}]}"#.utf8))
        #expect(decoded == EditRecipe(components: [.init(method: .sefa, index: 1, strength: 2)]))
    }

    @Test func anotherGeneratorIsRefused() throws {
        let error = #expect(throws: TorchError.self) {
            try InversionEditor(loaded, inversion: inversion(wPlus), generatorSHA256: String(repeating: "b", count: 64))
        }
        #expect(error?.message.contains("another generator") == true)
        #expect(throws: TorchError.self) {
            try InversionEditor(loaded, inversion: inversion(Tensor.zeros([8, 128])), generatorSHA256: sha)
        }
    }
}
