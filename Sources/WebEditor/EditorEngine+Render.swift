import Editing
import Foundation
import Images
import Inversion
import Perception
import StyleGAN
import Torch

/// Slider renders. Each asks for an inversion moved by an `EditRecipe`; the renders that arrive while the generator
/// is busy are answered together by one generator pass per generator (up to `limits.maxRenderBatch`), so many
/// clients dragging at once cost fewer, larger passes rather than a queue of single ones.
extension EditorEngine {
    /// A second code a recipe reads: another inversion of the session, or a seed.
    public enum Source: Sendable {
        case inversion(String)
        case seed(Int)
    }

    /// One render request.
    public struct RenderRequest: Sendable {
        public var inversion: String
        public var recipe: EditRecipe
        public var mixWith: Source?
        public var interpolateTo: String?

        public init(inversion: String, recipe: EditRecipe = EditRecipe(), mixWith: Source? = nil, interpolateTo: String? = nil) {
            (self.inversion, self.recipe, self.mixWith, self.interpolateTo) = (inversion, recipe, mixWith, interpolateTo)
        }
    }

    struct PendingRender {
        let request: RenderRequest
        let continuation: CheckedContinuation<Tensor, any Error>
    }

    /// The edited image [1, 3, S, S] in [-1, 1] of `request`, batched with the renders waiting beside it.
    public func renderImage(_ request: RenderRequest) async throws -> Tensor {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(PendingRender(request: request, continuation: continuation))
            if !draining {
                draining = true
                Task { self.drain() }
            }
        }
    }

    /// The edit of `request` as PNG bytes.
    public func render(_ request: RenderRequest) async throws -> [UInt8] {
        try Self.png(try await renderImage(request))
    }

    /// The edit pasted back into `photo` (the upload the inversion's face was cut from, by `quad`), as PNG bytes.
    public func pasteBack(_ request: RenderRequest, photo: Image, quad: AlignmentQuad) async throws -> [UInt8] {
        let face = try await renderImage(request)
        let pasted = try PasteBack.paste(face, into: photo.tensor(), quad: quad)
        return try Self.png(pasted)
    }

    /// Answers every waiting render, a batch at a time, until none waits.
    func drain() {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(limits.maxRenderBatch))
            pending.removeFirst(batch.count)
            renderBatch(batch)
        }
        draining = false
    }

    /// The batch's edits; plain w+ inversions of one generator share a synthesis pass, the rest (a feature, noise maps)
    /// render one at a time as `InversionEditor.render` does.
    private func renderBatch(_ batch: [PendingRender]) {
        var groups: [ObjectIdentifier: [(Int, InversionFile, InversionEditor)]] = [:]
        var results = [Result<Tensor, any Error>?](repeating: nil, count: batch.count)
        for (i, item) in batch.enumerated() {
            do {
                let (file, editor) = try edited(item.request)
                if file.feature == nil, file.noiseMaps == nil {
                    groups[ObjectIdentifier(editor.generator), default: []].append((i, file, editor))
                } else {
                    results[i] = .success(try editor.render(file))
                }
            } catch {
                results[i] = .failure(error)
            }
        }
        for group in groups.values {
            do {
                let g = group[0].2.generator
                let wPlus = try Tensor.stack(group.map { $0.1.wPlus }).to(device: group[0].2.device)  // [N, L, D]
                let images = try withInferenceMode { try g.synthesis(wPlus, noise: .const).to(device: .cpu) }
                for (k, member) in group.enumerated() { results[member.0] = .success(try images.narrow(0, start: k, length: 1)) }
            } catch {
                for member in group { results[member.0] = .failure(error) }
            }
        }
        for (item, result) in zip(batch, results) { item.continuation.resume(with: result!) }
    }

    /// The request's recipe applied, with the editor that renders it.
    private func edited(_ request: RenderRequest) throws -> (InversionFile, InversionEditor) {
        let entry = try entry(request.inversion)
        if request.recipe.usesGANSpace, palette.ganspace == nil {
            palette.ganspace = try GANSpace.components(of: loaded.generator, samples: Self.ganspaceSamples, count: Self.ganspaceCount)
        }
        var palette = palette
        palette.latentAvg = entry.latentAvg
        let mixWith: Tensor? = try request.mixWith.map { source in
            switch source {
            case .inversion(let id): try self.entry(id).editor.inversion.wPlus
            case .seed(let seed): try seedCode(seed)
            }
        }
        let other = try request.interpolateTo.map { try self.entry($0).editor.inversion }
        do {
            return (try request.recipe.apply(to: entry.editor, palette: palette, mixWith: mixWith, interpolateTo: other), entry.editor)
        } catch let error as EditRecipeError {
            throw EditorError(.badRequest, error.description)
        }
    }
}
