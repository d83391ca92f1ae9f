import Foundation
import Torch

/// dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`, 99.38% on LFW) rebuilt in Torch, so
/// that it runs on any device and passes gradients: a face's 150x150 chip -> a 128-float descriptor, two faces being
/// the same person when their descriptors are less than 0.6 apart (Euclidean).
///
/// The layers are `dnn_face_recognition_ex.cpp`'s `anet_type`: con 7x7/2, affine, relu, max pool 3x3/2, then 14
/// residual units (3 at 32 channels; 4, 3 and 3 at 64, 128 and 256, each group starting by halving the size; one
/// more at 256), a global average pool and a 256 -> 128 fc without bias. The descriptor is not normalised.
/// Built in eval mode and frozen, as every loss network here.
public final class DlibFaceRecognition: Module {
    /// The widths: the stem's, then each residual unit's (`downsample` = `ares_down`).
    public struct Architecture: Equatable, Sendable {
        public struct Unit: Equatable, Sendable {
            public let channels: Int
            public let downsample: Bool
        }

        public let stemChannels: Int
        public let units: [Unit]
        public let descriptorSize: Int

        /// `anet_type`: alevel4 (3 x 32), alevel3 (64 down + 3 x 64), alevel2 (128 down + 2), alevel1 (256 down + 2),
        /// alevel0 (256 down).
        public static let official = Architecture(stemChannels: 32, units: [
            (32, false), (32, false), (32, false), (64, true), (64, false), (64, false), (64, false),
            (128, true), (128, false), (128, false), (256, true), (256, false), (256, false), (256, true),
        ].map { Unit(channels: $0.0, downsample: $0.1) }, descriptorSize: 128)

        /// The last unit of each of dlib's levels (alevel4 ... alevel0), whose outputs E2Style-style multi-layer
        /// identity terms compare.
        public var levelEnds: [Int] {
            units.indices.filter { $0 + 1 == units.count || units[$0 + 1].downsample }
        }
    }

    /// Trainable elements in `dlib_face_recognition_resnet_model_v1.dat`.
    public static let officialParameterCount = 5_614_592
    /// The chip side the network reads.
    public static let chipSize = 150

    public let architecture: Architecture
    /// [3]: the red, green and blue means (0-255 scale) subtracted from the chip, as dlib's input layer.
    public let means: Tensor
    /// con 7x7/2 on 3 channels.
    public let con1: Conv2d
    public let affine1: Affine
    public let units: ModuleList<Unit>
    /// [descriptor, last width], no bias: dlib's fc weights transposed.
    public let fc: Linear
    /// The distance below which two descriptors are the same person (the loss's threshold in the file: 0.6).
    public private(set) var distanceThreshold = 0.6

    /// Random weights until `load`ed.
    public init(_ architecture: Architecture = .official, device: Device = .cpu) throws {
        self.architecture = architecture
        means = try Tensor([122.782, 117.001, 104.298] as [Float])
        con1 = try Conv2d(3, architecture.stemChannels, kernelSize: 7, stride: 2)
        affine1 = try Affine(architecture.stemChannels)
        var inputs = architecture.stemChannels
        units = try ModuleList()
        for unit in architecture.units {
            try units.append(Unit(inputs, unit.channels, downsample: unit.downsample))
            inputs = unit.channels
        }
        fc = try Linear(inputs, architecture.descriptorSize, bias: false)
        super.init()
        try register(buffer: "means", means)
        try register(module: "con1", con1)
        try register(module: "affine1", affine1)
        try register(module: "units", units)
        try register(module: "fc", fc)
        try to(device: device)
        eval()
        try freeze()
    }

    /// Reads dlib's `.dat` file (`DlibFaceRecognitionFile`: every record checked, the read ending at its last byte).
    public static func load(from path: String, device: Device = .cpu) throws -> DlibFaceRecognition {
        let file = try DlibFaceRecognitionFile(path: path)
        let network = try DlibFaceRecognition(.official)
        var state: [String: Tensor] = ["means": try Tensor(file.means.map(Float.init))]
        func convolution(_ prefix: String, _ c: DlibFaceRecognitionFile.Convolution) throws {
            state[prefix + ".weight"] = try Tensor(c.weight, shape: [c.filters, c.inputs, c.kernel, c.kernel])
            state[prefix + ".bias"] = try Tensor(c.bias)
        }
        func affine(_ prefix: String, _ a: DlibFaceRecognitionFile.Affine) throws {
            state[prefix + ".gamma"] = try Tensor(a.gamma)
            state[prefix + ".beta"] = try Tensor(a.beta)
        }
        try convolution("con1", file.convolutions[0])
        try affine("affine1", file.affines[0])
        for index in network.units.indices {
            try convolution("units.\(index).con1", file.convolutions[1 + 2 * index])
            try affine("units.\(index).affine1", file.affines[1 + 2 * index])
            try convolution("units.\(index).con2", file.convolutions[2 + 2 * index])
            try affine("units.\(index).affine2", file.affines[2 + 2 * index])
        }
        let inputs = network.fc.inFeatures, outputs = network.fc.outFeatures
        state["fc.weight"] = try Tensor(file.fc, shape: [inputs, outputs]).transpose(0, 1).contiguous()
        _ = try network.load(stateDict: state)
        network.distanceThreshold = file.distanceThreshold
        try network.to(device: device)
        return network
    }

    /// Chips [N, 3, 150, 150], RGB on the 0-255 scale -> the stem's output [N, 32, 35, 35].
    private func stem(_ chips: Tensor) throws -> Tensor {
        guard chips.rank == 4, chips.size(1) == 3, chips.size(2) == Self.chipSize, chips.size(3) == Self.chipSize else {
            throw TorchError("DlibFaceRecognition: expected chips [N, 3, 150, 150] on the 0-255 scale, got \(chips.shape)")
        }
        let x = try (chips - means.to(dtype: chips.dtype).reshape([1, 3, 1, 1])) / 256
        return try F.maxPool2d(affine1(con1(x)).relu(), kernel: (3, 3), stride: (2, 2))
    }

    /// Chips [N, 3, 150, 150] (RGB, 0-255, as `input_rgb_image_sized` reads them) -> descriptors [N, 128].
    public func callAsFunction(_ chips: Tensor) throws -> Tensor {
        var x = try stem(chips)
        for unit in units { x = try unit(x) }
        return try fc(x.mean([2, 3]))
    }

    /// The output of each of dlib's five levels ([N, 32, 35, 35] ... [N, 256, 2, 2]) and the descriptor [N, 128].
    public func multiLayerFeatures(_ chips: Tensor) throws -> (levels: [Tensor], descriptor: Tensor) {
        var x = try stem(chips)
        var levels: [Tensor] = []
        let ends = Set(architecture.levelEnds)
        for (index, unit) in units.enumerated() {
            x = try unit(x)
            if ends.contains(index) { levels.append(x) }
        }
        return (levels, try fc(x.mean([2, 3])))
    }

    /// Multiply-adds of one chip's forward pass (each conv output counts its affine as one more; pools not
    /// counted): 0.27 G for the official network, so about 0.54 GFLOP per descriptor.
    public static func multiplyAdds(_ architecture: Architecture = .official) -> Int {
        var side = (chipSize - 7) / 2 + 1
        var total = side * side * architecture.stemChannels * (3 * 49 + 1)
        side = (side - 3) / 2 + 1
        var inputs = architecture.stemChannels
        for unit in architecture.units {
            let out = unit.downsample ? max((side - 3) / 2 + 1, side / 2) : side
            let blockSide = unit.downsample ? (side - 3) / 2 + 1 : side
            total += blockSide * blockSide * unit.channels * (inputs * 9 + 1 + unit.channels * 9 + 1)
            (side, inputs) = (out, unit.channels)
        }
        return total + inputs * architecture.descriptorSize
    }
}
