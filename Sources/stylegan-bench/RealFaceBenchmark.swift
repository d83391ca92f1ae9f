import Foundation
import Images
import Perception
import Torch

/// Real faces: dlib alignment and dlib's face descriptor, ours beside dlib's own Python path (its binding and pSp's
/// `align_face`, from bench/dlib_reference.py when they are installed) and libdlib's own network through the shim.
enum RealFaceBenchmark {
    static let title = "Real faces: dlib alignment and face descriptor"
    static let photos = ["Sources/stylegan/Resources/astronaut.png", "Tests/PerceptionTests/Resources/dlib/grace_hopper.jpg"]

    /// What bench/dlib_reference.py measured, in milliseconds.
    struct Reference: Decodable {
        var unavailable: String?
        var dlib: String?
        var detect_ms: [String: Double]?
        var descriptor_ms: [String: Double]?
        var chip16_ms: Double?
        var align_ms: [String: Double]?
        var align_unavailable: String?
    }

    static func section(into report: inout Report) throws {
        let models = DlibModels.locate()
        let extra = ProcessInfo.processInfo.environment["STYLEGAN_BENCH_PYTHONPATH"].map { ":" + $0 } ?? ""
        let reference = try Shell.result(Reference.self, of: "python3", ["bench/dlib_reference.py", models.folder] + photos,
                                         environment: ["PYTHONPATH": ".deps/python" + extra], what: "dlib reference")
        let python = reference.unavailable == nil ? "dlib \(reference.dlib ?? "?") Python" : "dlib Python"
        func ratio(_ theirs: Double?, _ ours: Double) -> String {
            theirs.map { String(format: "%.2fx", $0 / ours) } ?? "-"
        }
        func ms(_ value: Double?) -> String { value.map(fmt) ?? "-" }

        var rows = [["step", "input", "ours (ms)", "reference", "reference (ms)", "ours faster by", "GFLOP/s (ours)"]]
        let aligner = try FaceAligner(dlibModels: models)
        let network = try DlibFaceRecognition.load(from: models.requireFaceRecognition())
        let native = try DlibNativeRecognizer(path: models.faceRecognition)
        for path in photos {
            let name = (path as NSString).lastPathComponent
            let photo = try Image.read(path: path)
            let size = "\(photo.width)x\(photo.height)"
            var faces: [Face] = []
            let detect = try fastest(runs: 3) { faces = try aligner.faces(in: photo, name: name) } * 1e3
            rows.append(["detect + 68 landmarks (HOG, upsample 1)", "\(name) \(size)", fmt(detect), python,
                         ms(reference.detect_ms?[name]), ratio(reference.detect_ms?[name], detect), "-"])
            let align = try fastest(runs: 3) { _ = try aligner.align(photo, name: name, outputSize: 256, supersampling: 1) } * 1e3
            rows.append(["align: detect, landmarks, FFHQ crop at 256", "\(name) \(size)", fmt(align), "pSp align_face",
                         ms(reference.align_ms?[name]), ratio(reference.align_ms?[name], align), "-"])
            let landmarks = faces[0].allLandmarks
            _ = try network.descriptor(of: photo, landmarks: landmarks)
            let describe = try fastest(runs: 3) { _ = try network.descriptor(of: photo, landmarks: landmarks) } * 1e3
            rows.append(["descriptor of a face in the photo (chip + network)", "\(name) \(size)", fmt(describe), python,
                         ms(reference.descriptor_ms?[name]), ratio(reference.descriptor_ms?[name], describe),
                         fmt(flops / describe / 1e6)])
        }
        let chips = try (Tensor.rand([16, 3, 150, 150], generator: Generator(seed: 1)) * 255).floor()
        let bytes = try chips.permute([0, 2, 3, 1]).contiguous().floats().map { UInt8($0) }
        var perChip: [DType: Double] = [:]
        for dtype in [DType.float32, .bfloat16] {
            try network.to(dtype: dtype)
            let input = try chips.to(dtype: dtype)
            try withInferenceMode { _ = try network(input) }
            perChip[dtype] = try fastest(runs: 3) { try withInferenceMode { _ = try network(input) } } * 1e3 / 16
        }
        try network.to(dtype: .float32)
        _ = try native.descriptors(chips: bytes)
        let libdlib = try fastest(runs: 3) { _ = try native.descriptors(chips: bytes) } * 1e3 / 16
        let f32 = perChip[.float32]!, bf16 = perChip[.bfloat16]!
        rows.append(["network on 150x150 chips, float32", "batch 16", fmt(f32), python, ms(reference.chip16_ms),
                     ratio(reference.chip16_ms, f32), fmt(flops / f32 / 1e6)])
        rows.append(["network on 150x150 chips, float32", "batch 16", fmt(f32), "libdlib 19.24 (C++, through the shim)",
                     fmt(libdlib), ratio(libdlib, f32), fmt(flops / f32 / 1e6)])
        rows.append(["network on 150x150 chips, bfloat16", "batch 16", fmt(bf16), "libdlib 19.24 (C++, through the shim)",
                     fmt(libdlib), ratio(libdlib, bf16), fmt(flops / bf16 / 1e6)])
        var notes = ["Fastest of 3 runs after a warm-up; ms per photo, or per chip for the network rows. FLOPs: "
            + "\(fmt(flops / 1e9)) GFLOP per chip (2 per multiply-add; convolutions with their affines, and the fc). "
            + "Ours: dlib's own detector and shape predictor through the shim (the same code the binding runs), the "
            + "FFHQ crop in Torch with Pillow's Lanczos reproduced, the descriptor network rebuilt in Torch. "
            + "Reference: bench/dlib_reference.py, dlib's Python binding and pSp's scripts/align_all_parallel.py "
            + "`align_face` (which detects on its own), run as users run them; the binding measured here was built "
            + "from PyPI's source with its default flags. bfloat16 is far slower than float32 for this network's "
            + "narrow convolutions on this CPU, so the loss networks keep it in float32 whatever --precision says."]
        if let why = reference.unavailable { notes.append("Python reference not run: \(why).") }
        if let why = reference.align_unavailable { notes.append("pSp's align_face not run: \(why).") }
        notes.append("The binding and the script are not installed by `make setup` (the binding builds from source, "
            + "about 20 minutes): put them on STYLEGAN_BENCH_PYTHONPATH and STYLEGAN_PSP_REPO to fill the reference column.")
        report.section(title, rows, note: notes.joined(separator: " "))
    }

    static let flops = 2 * Double(DlibFaceRecognition.multiplyAdds())
}
