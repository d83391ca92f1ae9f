import Perception
import Torch

/// The metrics `stylegan eval` computes over image pairs, with the networks each needs.
public struct PairedEvaluation {
    public enum Metric: String, CaseIterable, Sendable {
        case mse, l2, psnr, ssim, msssim = "ms-ssim", lpips, id, fid

        /// The network weights a metric needs, for error messages.
        public var needs: String? {
            switch self {
            case .lpips: "the LPIPS backbone (alexnet-owt-7be5be79.pth or vgg16-397923af.pth)"
            case .id: "the ArcFace IR-SE50 weights (model_ir_se50.pth) or dlib's face-recognition network"
            case .fid: "the FID Inception weights (pt_inception-2015-12-05-6726825d.pth)"
            default: nil
            }
        }
    }

    public var lpips: LPIPS?
    public var arcface: IRSE50?
    /// dlib's face-recognition ResNet: the ID metric reads it instead of ArcFace when set.
    public var dlib: DlibFaceRecognition?
    public var inception: FIDInceptionV3?

    public init(lpips: LPIPS? = nil, arcface: IRSE50? = nil, dlib: DlibFaceRecognition? = nil, inception: FIDInceptionV3? = nil) {
        self.lpips = lpips
        self.arcface = arcface
        self.dlib = dlib
        self.inception = inception
    }

    /// One summary per metric, in the order asked. Per-image metrics are computed pair by pair (so images may
    /// differ in size between pairs); FID compares the two sets as wholes (count = images, std 0).
    public func run(_ pairs: ImagePairs, metrics: [Metric], progress: (Int, Int) -> Void = { _, _ in }) throws
        -> [MetricSummary]
    {
        var values: [Metric: [Double]] = [:]
        let perImage = metrics.filter { $0 != .fid }
        try withInferenceMode {
            for (i, pair) in pairs.pairs.enumerated() {
                let (x, y) = (pair.reconstructed, pair.reference)
                for metric in perImage {
                    values[metric, default: []] += try value(metric, x, y)
                }
                progress(i + 1, pairs.pairs.count)
            }
        }
        var rows: [MetricSummary] = []
        for metric in metrics {
            if metric == .fid {
                rows.append(try MetricSummary(name: "fid", values: [try fid(pairs)]))
            } else {
                rows.append(try MetricSummary(name: metric.rawValue, values: values[metric] ?? []))
            }
        }
        return rows
    }

    private func value(_ metric: Metric, _ x: Tensor, _ y: Tensor) throws -> [Double] {
        switch metric {
        case .mse: return try Metrics.mse(x, y)
        case .l2: return try Metrics.l2(x, y)
        case .psnr: return try Metrics.psnr(x, y)
        case .ssim: return try Metrics.ssim(x, y)
        case .msssim: return try Metrics.msssim(x, y)
        case .lpips: return try Metrics.lpips(x, y, network: require(lpips, metric))
        case .id:
            if let dlib { return try Metrics.identitySimilarity(x, y, embedder: DlibEmbedder(network: dlib)) }
            // The ID-loss path reads 256x256 images (crop, pool to 112).
            let net = try require(arcface, metric)
            return try Metrics.identitySimilarity(resizeTo256(x), resizeTo256(y), embedder: ArcFaceEmbedder(network: net))
        case .fid: throw TorchError("FID is computed over the whole set")
        }
    }

    private func fid(_ pairs: ImagePairs) throws -> Double {
        let net = try require(inception, .fid)
        let a = try Tensor.cat(pairs.pairs.map { try net.features($0.reference) })
        let b = try Tensor.cat(pairs.pairs.map { try net.features($0.reconstructed) })
        return try Metrics.frechetDistance(FeatureStatistics(features: a), FeatureStatistics(features: b))
    }

    private func require<T>(_ network: T?, _ metric: Metric) throws -> T {
        guard let network else { throw TorchError("\(metric.rawValue) needs \(metric.needs ?? "a network")") }
        return network
    }

    private func resizeTo256(_ x: Tensor) throws -> Tensor {
        x.size(2) == 256 && x.size(3) == 256 ? x : try F.interpolate(x, size: (256, 256), mode: .bilinear, alignCorners: false, antialias: true)
    }
}

/// ArcFace as the identity embedder of the ID metric: pSp's ID-loss path (crop, pool to 112, normalised).
public struct ArcFaceEmbedder: IdentityEmbedder {
    public let network: IRSE50

    public init(network: IRSE50) { self.network = network }

    public func embed(_ images: Tensor) throws -> Tensor { try network.idLossEmbedding(images) }
}

/// dlib's face-recognition ResNet as the identity embedder of the ID metric: the descriptor of the FFHQ-aligned
/// image's fixed chip (`DlibFaceRecognition.idLossEmbedding`), at any image size.
public struct DlibEmbedder: IdentityEmbedder {
    public let network: DlibFaceRecognition

    public init(network: DlibFaceRecognition) { self.network = network }

    public func embed(_ images: Tensor) throws -> Tensor { try network.idLossEmbedding(images) }
}
