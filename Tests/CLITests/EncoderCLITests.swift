import Checkpoints
import Encoders
import Foundation
import Images
import StyleGAN
import TestSupport
import Testing
import Torch

/// `stylegan invert --method M` end to end for every encoder method: a checkpoint in the layout its loader reads
/// (random weights under the keys and opts of the released files), inverted, rendered back from the inversion file
/// and described by `info`. The loaders build the published trunks (IR-SE50, ResNet-34, iResNet-50) at full size;
/// only the generator (16x16, or 32x32 where a feature replaces layer 5) and E2Style's heads are small. One test at a
/// time: each encoder is 0.2-0.5 GB, held by the test and again by every CLI process.
@Suite("CLI: encoder inversion", .serialized)
struct EncoderCLITests {
    init() throws { try Runtime.start() }

    /// pSp: `GradualStyleEncoder` weights under `encoder.`, the generator under `decoder.`, latent_avg, opts.
    @Test func pspContainerInvertsAndRenders() throws {
        let run = try EncoderRun(size: 16)
        let file = try run.container("psp.safetensors", [("encoder.", GradualStyleEncoder(styleCount: 6))],
                                     options: ["encoder_type": .string("GradualStyleEncoder"), "output_size": .int(16),
                                               "input_nc": .int(3), "start_from_latent_avg": .bool(true)],
                                     latentAvg: run.generator.latentAvg)
        try run.invertAndRender("psp", encoder: file)
        let info = try run.describe(file)
        #expect(info.contains("method        psp") && info.contains("generator:") && info.contains("16x16"), "\(info)")
        var r = try run.invert("e4e", encoder: file)
        #expect(r.status != 0 && r.stderr.contains("psp encoder, not e4e"))
        r = try CLI.run(["invert", run.photo, "--method", "psp", "--no-align"])
        #expect(r.status != 0 && r.stderr.contains("--encoder"))
    }

    /// e4e: pSp's container with `encoder_type` Encoder4Editing, e4e's `stylegan_size`, and latent_avg repeated per
    /// w+ row as e4e saves it.
    @Test func e4eContainerInvertsAndRenders() throws {
        let run = try EncoderRun(size: 16)
        let file = try run.container("e4e.safetensors", [("encoder.", GradualStyleEncoder(styleCount: 6))],
                                     options: ["encoder_type": .string("Encoder4Editing"), "stylegan_size": .int(16),
                                               "start_from_latent_avg": .bool(true)],
                                     latentAvg: run.generator.latentAvg.expand([6, 512]))
        try run.invertAndRender("e4e", encoder: file)
        try run.expectInfo(file, ["method        e4e", "encoder       Encoder4Editing (IR-SE50 feature pyramid, w0 + offsets)",
                               "styles        6", "latent_avg    added, from the file, [6, 512]", "generator     16x16"])
        var r = try run.invert("psp", encoder: file)
        #expect(r.status != 0 && r.stderr.contains("e4e encoder, not psp"), "\(r.stderr)")
        // GANI's pivot is the e4e code when an e4e file is given (Algorithm 1).
        r = try run.invert("gani", encoder: file, ["--losses", "l2", "--steps", "2"])
        #expect(r.status == 0 && !r.stderr.contains("note:"), "\(r.stderr)")
        let tuned = try InversionFile.read(run.dir.path("inv/photo.safetensors"))
        #expect(tuned.metadata.method == "gani" && tuned.metadata.options["pivot"] == "encoder \(file)")
        #expect(tuned.deltas?.kind == .multiplicative)
    }

    /// ReStyle-pSp in the FFHQ layout: an IR-SE50 `BackboneEncoder` on six channels; `--iterations 2` overrides the
    /// file's `n_iters_per_batch` and is recorded.
    @Test func reStylePSPContainerInvertsAndRenders() throws {
        let run = try EncoderRun(size: 16)
        let file = try run.container("restyle-psp.safetensors", [("encoder.", ReStyleBackboneEncoder(styleCount: 6))],
                                     options: ["encoder_type": .string("BackboneEncoder"), "input_nc": .int(6),
                                               "output_size": .int(16), "n_iters_per_batch": .int(5),
                                               "dataset_type": .string("ffhq_encode")],
                                     latentAvg: run.generator.latentAvg.expand([6, 512]))
        let inversion = try run.invertAndRender("restyle-psp", encoder: file, ["--iterations", "2"])
        #expect(inversion.metadata.options["iterations"] == "2")
        try run.expectInfo(file, ["method        restyle-psp", "encoder       BackboneEncoder (IR-SE50, styles from the 16x16 map)",
                               "iterations    5", "generator     16x16"])
        var r = try run.invert("restyle-psp", encoder: file, ["--iterations", "0"])
        #expect(r.status != 0 && r.stderr.contains("--iterations must be in 1...100, got 0"), "\(r.stderr)")
        // GANI takes an e4e pivot only; other encoders go through encoder+gani.
        r = try run.invert("gani", encoder: file, ["--losses", "l2", "--steps", "1"])
        #expect(r.status != 0 && r.stderr.contains("GANI's pivot is an e4e code"), "\(r.stderr)")
    }

    /// ReStyle-e4e in the ResNet-34 layout of the non-face models (`encoder.conv1`, `encoder.body.*`).
    @Test func reStyleE4EContainerInvertsAndRenders() throws {
        let run = try EncoderRun(size: 16)
        let file = try run.container("restyle-e4e.safetensors", [("encoder.", ReStyleResNetEncoder(styleCount: 6))],
                                     options: ["encoder_type": .string("ResNetProgressiveBackboneEncoder"),
                                               "input_nc": .int(6), "output_size": .int(16), "n_iters_per_batch": .int(5),
                                               "dataset_type": .string("church_encode")],
                                     latentAvg: run.generator.latentAvg.expand([6, 512]))
        let inversion = try run.invertAndRender("restyle-e4e", encoder: file, ["--iterations", "2"])
        #expect(inversion.metadata.options["iterations"] == "2")
        try run.expectInfo(file, ["method        restyle-e4e",
                               "encoder       ResNetProgressiveBackboneEncoder (ResNet-34, styles from the 16x16 map)",
                               "generator     16x16"])
        let r = try run.invert("restyle-psp", encoder: file)
        #expect(r.status != 0 && r.stderr.contains("restyle-e4e encoder, not restyle-psp"), "\(r.stderr)")
    }

    /// E2Style: a first stage and two refinement stages (`encoder_firststage.`, `encoder_refinestage_list.i.`) whose
    /// heads, 3/2/1 codes pooled to 1x1, are read off their weights; `--stages 2` runs the first two.
    @Test func e2StyleContainerInvertsAndRenders() throws {
        let run = try EncoderRun(size: 16)
        let heads = E2StyleStageEncoder.Heads(coarse: .init(codes: 3, pool: 1), medium: .init(codes: 2, pool: 1),
                                              fine: .init(codes: 1, pool: 1))
        let file = try run.container("e2style.safetensors", [
            ("encoder_firststage.", E2StyleStageEncoder(inputChannels: 3, heads: heads)),
            ("encoder_refinestage_list.0.", E2StyleStageEncoder(inputChannels: 6, heads: heads)),
            ("encoder_refinestage_list.1.", E2StyleStageEncoder(inputChannels: 6, heads: heads)),
        ], options: ["training_stage": .int(3), "input_nc": .int(3), "start_from_latent_avg": .bool(true),
                     "dataset_type": .string("ffhq_encode")],
        latentAvg: run.generator.latentAvg.expand([6, 512]))
        let inversion = try run.invertAndRender("e2style", encoder: file, ["--stages", "2"])
        #expect(inversion.metadata.options["stages"] == "2")
        try run.expectInfo(file, ["method        e2style", "stages        3: first + 2 refinement, all run",
                               "heads         3/2/1 codes pooled to 1/1/1", "generator     16x16"])
        let r = try run.invert("e2style", encoder: file, ["--stages", "4"])
        #expect(r.status != 0 && r.stderr.contains("this checkpoint has 3 stages, 4 asked for"), "\(r.stderr)")
    }

    /// Feature-Style: the bare `fs_encoder_v2` state dict (as `143_enc.pth`: no prefix, no latent_avg) beside the
    /// generator file it was trained with, which gives latent_avg, takes the layer-5 feature and renders.
    @Test func featureStyleEncoderInvertsAndRenders() throws {
        let run = try EncoderRun(size: 32)
        let file = run.dir.path("fs.safetensors")
        try Safetensors.write(FeatureStyleEncoder(styleCount: 8, latentAvg: Tensor.zeros([512])).stateDict().dictionary,
                              to: file)
        let inversion = try run.invertAndRender("fs", encoder: file, ["--checkpoint", run.generatorFile],
                                                generatorFile: run.generatorFile)
        try run.expectFeature(of: inversion)
        let info = try run.describe(file, ["--generator", run.generatorFile])
        #expect(info.contains("method        fs") && info.contains("fs_encoder_v2") && info.contains("generator:"), "\(info)")
        let alone = try CLI.run(["info", "--checkpoint", file])
        #expect(alone.status != 0 && alone.stderr.contains("holds no latent_avg") && alone.stderr.contains("--generator"),
                "\(alone.stderr)")
        let r = try run.invert("fs", encoder: file)
        #expect(r.status != 0 && r.stderr.contains("hold no generator") && r.stderr.contains("--checkpoint"), "\(r.stderr)")
    }

    /// CLCAE ablations (`--not_for_feature --no_w_attention`): the coach's flags in `opts` build the network they
    /// trained, which inverts without a feature.
    @Test func clcaeAblationContainerInverts() throws {
        let run = try EncoderRun(size: 32)
        var design = CLCAE.Design.released
        (design.forFeature, design.wAttention) = (false, false)
        let file = try run.container("clcae-ablation.safetensors",
                                     [("encoder.", CLCAE.GradualStyleEncoder(forImage: false, styleCount: 8, design: design))],
                                     options: ["output_size": .int(32), "learn_in_w": .bool(true), "not_for_feature": .bool(true),
                                               "no_w_attention": .bool(true), "dataset_type": .string("ffhq_encode_inversion")],
                                     latentAvg: nil)
        let inversion = try run.invertAndRender("clcae", encoder: file)
        #expect(inversion.feature == nil)
        try run.expectInfo(file, ["feature       none (not_for_feature)"])
    }

    /// CLCAE: the AFPSP container as released (`encoder.` with `styles_others` and the attentions, `decoder.`, opts,
    /// no latent_avg, so the mean of mapping(z) stands in); its feature replaces layer `idx_k`.
    @Test func clcaeContainerInvertsAndRenders() throws {
        let run = try EncoderRun(size: 32)
        let file = try run.container("clcae.safetensors",
                                     [("encoder.", CLCAE.GradualStyleEncoder(forImage: false, styleCount: 8))],
                                     options: ["output_size": .int(32), "idx_k": .int(5), "learn_in_w": .bool(true),
                                               "dataset_type": .string("ffhq_encode_inversion")],
                                     latentAvg: nil)
        let inversion = try run.invertAndRender("clcae", encoder: file)
        try run.expectFeature(of: inversion)
        try run.expectInfo(file, ["method        clcae", "styles        8", "feature       512x16x16 replacing layer 5, blend 1",
                               "latent_avg    computed (mean of mapping(z)); the file holds none", "generator     32x32"])
        var r = try run.invert("e4e", encoder: file)
        #expect(r.status != 0 && r.stderr.contains("clcae encoder, not e4e"), "\(r.stderr)")
        // Edits follow inference_edit.py: the encoder re-encodes the recorded photo with the offset on w.
        let inversionPath = run.dir.path("inv/photo.safetensors")
        r = try CLI.run(["edit", inversionPath, "--checkpoint", file, "--direction", "sefa:0", "--strength", "0,2",
                         "--outdir", run.dir.path("edits")])
        try #require(r.status == 0, "\(r.stderr)")
        let reconstruction = try Image.read(path: run.dir.path("inv/photo.png")).pixels
        #expect(try Image.read(path: run.dir.path("edits/photo_sefa0_00.png")).pixels == reconstruction, "strength 0")
        r = try CLI.run(["edit", inversionPath, "--checkpoint", file, "--direction", "sefa:0", "--strength", "0,2",
                         "--feature-rule", "--outdir", run.dir.path("rule")])
        try #require(r.status == 0, "\(r.stderr)")
        let official = try Image.read(path: run.dir.path("edits/photo_sefa0_01.png")).pixels
        let byRule = try Image.read(path: run.dir.path("rule/photo_sefa0_01.png")).pixels
        #expect(official != reconstruction && official != byRule, "CLCAE's rule differs from the F-space rule")
        // Without the photo it cannot re-encode, and says what to give.
        try FileManager.default.removeItem(atPath: run.photo)
        r = try CLI.run(["edit", inversionPath, "--checkpoint", file, "--direction", "sefa:0", "--outdir", run.dir.path("e2")])
        #expect(r.status != 0 && r.stderr.contains("--image") && r.stderr.contains("--feature-rule"), "\(r.stderr)")
    }
}

/// A scratch folder with a photo and a random generator with pSp's 512-d codes: 16x16 (6 w+ rows; smaller images
/// fail `invert`'s SSIM, whose window is 11 pixels), or 32x32 (8 rows) with 512 channels at 16x16, the feature
/// space of Feature-Style and CLCAE.
struct EncoderRun {
    let dir: Scratch
    let generator: LoadedGenerator
    /// The generator saved on its own, for the methods whose encoder file holds none.
    let generatorFile: String
    let photo: String

    init(size: Int) throws {
        dir = try Scratch()
        let channels = size == 16 ? [16, 16, 16] : [32, 32, 512, 32]
        generator = try LoadedGenerator.random(GeneratorConfig(size: size, styleDim: 512, nMLP: 2, channels: channels),
                                               seed: 3)
        generatorFile = dir.path("g.safetensors")
        try GeneratorCheckpoint.save(generator, to: generatorFile)
        photo = dir.path("photo.png")
        try Image(tensor: Procedural.input([1, 3, 64, 64])).write(to: photo)
    }

    /// Writes a container as `EncoderCheckpoint.save` does (safetensors, opts and method in the metadata): each
    /// network's weights under its prefix, the generator under `decoder.`, and `latentAvg`.
    func container(_ name: String, _ networks: [(prefix: String, network: Module)],
                   options: [String: EncoderOptions.Value], latentAvg: Tensor?) throws -> String
    {
        var weights = StateDict()
        for (prefix, network) in networks {
            for (key, tensor) in try network.stateDict() { weights[prefix + key] = tensor }
        }
        for (key, tensor) in try generator.generator.stateDict() { weights["decoder." + key] = tensor }
        let path = dir.path(name)
        try EncoderCheckpoint.save(EncoderCheckpointFile(path: path, weights: weights, latentAvg: latentAvg,
                                                         options: EncoderOptions(options), recordedMethod: nil,
                                                         otherContents: []), to: path)
        return path
    }

    /// `stylegan invert PHOTO --method M --encoder FILE --no-align --outdir inv` plus `arguments`.
    func invert(_ method: String, encoder: String, _ arguments: [String] = []) throws -> CLI.Result {
        try CLI.run(["invert", photo, "--method", method, "--encoder", encoder, "--no-align", "--outdir", dir.path("inv")]
            + arguments)
    }

    /// Inverts the photo and checks what every encoder method writes: the inversion file (method, one 512-d w+ row
    /// per generator row, the SHA-256 of the generator file it was made with, the encoder file unless
    /// `generatorFile` says otherwise) and a reconstruction at the generator's size that `render` reproduces from
    /// the inversion file.
    @discardableResult
    func invertAndRender(_ method: String, encoder: String, _ arguments: [String] = [], generatorFile: String? = nil)
        throws -> InversionFile
    {
        let generatorFile = generatorFile ?? encoder
        var r = try invert(method, encoder: encoder, arguments)
        try #require(r.status == 0, "\(r.stderr)")
        let inversion = try InversionFile.read(dir.path("inv/photo.safetensors"))
        #expect(inversion.metadata.method == method)
        #expect(inversion.wPlus.shape == [generator.generator.nLatent, 512])
        #expect(inversion.metadata.generatorSHA256 == (try SHA256.hex(ofFile: generatorFile)))
        let reconstruction = try Image.read(path: dir.path("inv/photo.png"))
        #expect(reconstruction.width == generator.generator.config.size && reconstruction.height == reconstruction.width)
        r = try CLI.run(["render", dir.path("inv/photo.safetensors"), "--checkpoint", generatorFile,
                         "--out", dir.path("render.png")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Image.read(path: dir.path("render.png")).pixels == reconstruction.pixels)
        return inversion
    }

    /// `stylegan info --checkpoint FILE` succeeds and prints each of `lines`.
    func expectInfo(_ file: String, _ lines: [String]) throws {
        let info = try describe(file)
        for line in lines { #expect(info.contains(line), "info prints \(line)") }
    }

    /// What `stylegan info --checkpoint FILE` prints; it must succeed.
    func describe(_ file: String, _ extra: [String] = []) throws -> String {
        let r = try CLI.run(["info", "--checkpoint", file] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    /// The F-space feature Feature-Style and CLCAE write: 512x16x16 replacing layer 5 with blend 1.
    func expectFeature(of inversion: InversionFile) throws {
        let feature = try #require(inversion.feature)
        #expect(feature.layer == 5 && feature.blend == 1 && feature.tensor.shape == [512, 16, 16])
    }
}
