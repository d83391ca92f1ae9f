import ArgumentParser
import Foundation
import Images
import Perception

/// `stylegan align IMAGE... --outdir D`: FFHQ-style face crops for inversion, with where each face was.
struct Align: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect the faces in each photo (dlib or MTCNN) and crop them FFHQ-style for inversion.",
        discussion: """
            As the official alignment script (align_all_parallel.py): dlib's HOG face detector on the photo upsampled \
            once, its 68 landmarks, the oriented quad from the eyes and mouth corners, shrink, crop, reflect padding \
            blurred into the mean, and the quad warped to --size. For each face (largest first, at most \
            --max-faces) writes OUTDIR/NAME.png (the largest), NAME_1.png, ... and beside each a .json: the face's \
            box, score and landmarks in the photo's pixels, and the crop quad. --face N writes only the N-th face, as \
            NAME.png. A photo that cannot be read or has no face is reported by name and nothing is written for it; \
            the others are still done, and the exit status is non-zero. dlib's 68-point model is trained on iBUG \
            300-W, whose licence excludes commercial use.
            """
    )

    @Argument(help: "Photos (PNG or JPEG).")
    var images: [String]

    @Option(help: "Output folder.")
    var outdir: OutputFolder

    @Option(parsing: .unconditional, help: "Side of the aligned square in pixels (256 for pSp/e4e encoders, 1024 for FFHQ generators).")
    var size: Int = 256

    @Option(help: "Face detector: dlib (the official scripts', with its 68 landmarks) or mtcnn (five landmarks).")
    var detector: FaceDetection = .dlib

    @Flag(help: "dlib: the CNN (mmod) face detector instead of HOG.")
    var cnn = false

    @Option(parsing: .unconditional, help: "dlib: upsample the photo this many times before detecting (finds smaller faces, 4x the memory each).")
    var upsample: Int = 1

    @Option(name: .customLong("dlib-models"), help: "Folder of dlib's model files (default: what make setup installed).")
    var dlibModels: String?

    @Option(name: .customLong("max-faces"), parsing: .unconditional, help: "Crop at most this many faces per photo, largest first.")
    var maxFaces: Int = 8

    @Option(parsing: .unconditional, help: "Only this face, by box size from 0 (the largest).")
    var face: Int?

    @Option(parsing: .unconditional, help: "Warp at this multiple of --size, then shrink (the official script: 1; the FFHQ dataset: 4).")
    var supersampling: Int = 1

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        try Bounds.check("--size", size, 1...4096)
        try Bounds.check("--max-faces", maxFaces, 1...999)
        try Bounds.check("--upsample", upsample, 0...4)
        try Bounds.check("--supersampling", supersampling, 1...8)
        if let face { try Bounds.check("--face", face, 0...999) }
        if detector == .mtcnn, cnn || dlibModels != nil {
            throw ValidationError("--cnn and --dlib-models are for --detector dlib")
        }
        let outputs = images.flatMap { image in ["png", "json"].map { (outdir.file("\(baseName(image)).\($0)"), image) } }
        try OutputFiles.check(outputs, inputs: images)
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
        let aligner = try FaceAligner(detector, dlibModels: DlibModels.locate(dlibModels), cnn: cnn, device: device.resolve())
        aligner.upsample = upsample
        try outdir.prepare()
        let progress = Progress(label: "align")
        var failed = 0
        var lines: [String] = []
        for (done, path) in images.enumerated() {
            do {
                lines.append(try alignOne(path, aligner))
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("error: \(describe(error, file: path))\n".utf8))
            }
            progress.update(done + 1, images.count)
        }
        lines.forEach { print($0) }
        print("aligned \(images.count - failed) of \(images.count) images into \(outdir)")
        if failed > 0 { throw ExitCode.failure }
    }

    /// Writes each face's PNG then its JSON; if anything fails, the files of this photo written so far are removed,
    /// so a photo leaves all its files or none. Returns the line that says what was found.
    private func alignOne(_ path: String, _ aligner: FaceAligner) throws -> String {
        let photo = try Image.read(path: path)
        let results = if let face {
            [try aligner.align(photo, name: path, outputSize: size, faceIndex: face, supersampling: supersampling)]
        } else {
            try aligner.alignAll(photo, name: path, outputSize: size, maxFaces: maxFaces, supersampling: supersampling)
        }
        var written: [String] = []
        do {
            for (k, result) in results.enumerated() {
                let name = baseName(path) + (k == 0 ? "" : "_\(k)")
                let png = outdir.file(name + ".png")
                try result.image.write(to: png)
                written.append(png)
                let json = outdir.file(name + ".json")
                try AlignmentRecord(source: path, sourceWidth: photo.width, sourceHeight: photo.height, result: result)
                    .write(to: json)
                written.append(json)
            }
        } catch {
            for file in written { try? FileManager.default.removeItem(atPath: file) }
            throw error
        }
        let found = results[0].faces.count
        var line = "\(path): \(found) face\(found == 1 ? "" : "s") found, \(results.count) aligned"
        let plan = FaceAligner.detectionPlan(width: photo.width, height: photo.height, upsample: upsample)
        if detector == .dlib, plan != (upsample, 1) {
            line += plan.divisor > 1 ? " (a large photo: detected at 1/\(plan.divisor) size)"
                : " (a large photo: detected with --upsample \(plan.upsample))"
        }
        return line
    }

    /// The file name without folder and extension.
    private func baseName(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }
}

extension FaceDetection: ExpressibleByArgument {}
