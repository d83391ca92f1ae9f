/// torchvision's ResNet-50 without its classifier `fc`, the trunk MoCo v2's `encoder_q` shares (its projection head
/// `fc.0`/`fc.2` replaces `fc`), in `MoCoInceptionSupport` table form: one line per convolution and batch norm,
/// in `named_modules()` order. Written out from torchvision 0.28's `resnet50()` module by module (kernel shape,
/// stride and padding of each `nn.Conv2d`; channels and eps of each `nn.BatchNorm2d`).
enum MoCoReferenceLayers {
    static let resnet50Trunk = """
        conv conv1 64 3 7 7 2 2 3 3
        bn bn1 64 1e-05
        conv layer1.0.conv1 64 64 1 1 1 1 0 0
        bn layer1.0.bn1 64 1e-05
        conv layer1.0.conv2 64 64 3 3 1 1 1 1
        bn layer1.0.bn2 64 1e-05
        conv layer1.0.conv3 256 64 1 1 1 1 0 0
        bn layer1.0.bn3 256 1e-05
        conv layer1.0.downsample.0 256 64 1 1 1 1 0 0
        bn layer1.0.downsample.1 256 1e-05
        conv layer1.1.conv1 64 256 1 1 1 1 0 0
        bn layer1.1.bn1 64 1e-05
        conv layer1.1.conv2 64 64 3 3 1 1 1 1
        bn layer1.1.bn2 64 1e-05
        conv layer1.1.conv3 256 64 1 1 1 1 0 0
        bn layer1.1.bn3 256 1e-05
        conv layer1.2.conv1 64 256 1 1 1 1 0 0
        bn layer1.2.bn1 64 1e-05
        conv layer1.2.conv2 64 64 3 3 1 1 1 1
        bn layer1.2.bn2 64 1e-05
        conv layer1.2.conv3 256 64 1 1 1 1 0 0
        bn layer1.2.bn3 256 1e-05
        conv layer2.0.conv1 128 256 1 1 1 1 0 0
        bn layer2.0.bn1 128 1e-05
        conv layer2.0.conv2 128 128 3 3 2 2 1 1
        bn layer2.0.bn2 128 1e-05
        conv layer2.0.conv3 512 128 1 1 1 1 0 0
        bn layer2.0.bn3 512 1e-05
        conv layer2.0.downsample.0 512 256 1 1 2 2 0 0
        bn layer2.0.downsample.1 512 1e-05
        conv layer2.1.conv1 128 512 1 1 1 1 0 0
        bn layer2.1.bn1 128 1e-05
        conv layer2.1.conv2 128 128 3 3 1 1 1 1
        bn layer2.1.bn2 128 1e-05
        conv layer2.1.conv3 512 128 1 1 1 1 0 0
        bn layer2.1.bn3 512 1e-05
        conv layer2.2.conv1 128 512 1 1 1 1 0 0
        bn layer2.2.bn1 128 1e-05
        conv layer2.2.conv2 128 128 3 3 1 1 1 1
        bn layer2.2.bn2 128 1e-05
        conv layer2.2.conv3 512 128 1 1 1 1 0 0
        bn layer2.2.bn3 512 1e-05
        conv layer2.3.conv1 128 512 1 1 1 1 0 0
        bn layer2.3.bn1 128 1e-05
        conv layer2.3.conv2 128 128 3 3 1 1 1 1
        bn layer2.3.bn2 128 1e-05
        conv layer2.3.conv3 512 128 1 1 1 1 0 0
        bn layer2.3.bn3 512 1e-05
        conv layer3.0.conv1 256 512 1 1 1 1 0 0
        bn layer3.0.bn1 256 1e-05
        conv layer3.0.conv2 256 256 3 3 2 2 1 1
        bn layer3.0.bn2 256 1e-05
        conv layer3.0.conv3 1024 256 1 1 1 1 0 0
        bn layer3.0.bn3 1024 1e-05
        conv layer3.0.downsample.0 1024 512 1 1 2 2 0 0
        bn layer3.0.downsample.1 1024 1e-05
        conv layer3.1.conv1 256 1024 1 1 1 1 0 0
        bn layer3.1.bn1 256 1e-05
        conv layer3.1.conv2 256 256 3 3 1 1 1 1
        bn layer3.1.bn2 256 1e-05
        conv layer3.1.conv3 1024 256 1 1 1 1 0 0
        bn layer3.1.bn3 1024 1e-05
        conv layer3.2.conv1 256 1024 1 1 1 1 0 0
        bn layer3.2.bn1 256 1e-05
        conv layer3.2.conv2 256 256 3 3 1 1 1 1
        bn layer3.2.bn2 256 1e-05
        conv layer3.2.conv3 1024 256 1 1 1 1 0 0
        bn layer3.2.bn3 1024 1e-05
        conv layer3.3.conv1 256 1024 1 1 1 1 0 0
        bn layer3.3.bn1 256 1e-05
        conv layer3.3.conv2 256 256 3 3 1 1 1 1
        bn layer3.3.bn2 256 1e-05
        conv layer3.3.conv3 1024 256 1 1 1 1 0 0
        bn layer3.3.bn3 1024 1e-05
        conv layer3.4.conv1 256 1024 1 1 1 1 0 0
        bn layer3.4.bn1 256 1e-05
        conv layer3.4.conv2 256 256 3 3 1 1 1 1
        bn layer3.4.bn2 256 1e-05
        conv layer3.4.conv3 1024 256 1 1 1 1 0 0
        bn layer3.4.bn3 1024 1e-05
        conv layer3.5.conv1 256 1024 1 1 1 1 0 0
        bn layer3.5.bn1 256 1e-05
        conv layer3.5.conv2 256 256 3 3 1 1 1 1
        bn layer3.5.bn2 256 1e-05
        conv layer3.5.conv3 1024 256 1 1 1 1 0 0
        bn layer3.5.bn3 1024 1e-05
        conv layer4.0.conv1 512 1024 1 1 1 1 0 0
        bn layer4.0.bn1 512 1e-05
        conv layer4.0.conv2 512 512 3 3 2 2 1 1
        bn layer4.0.bn2 512 1e-05
        conv layer4.0.conv3 2048 512 1 1 1 1 0 0
        bn layer4.0.bn3 2048 1e-05
        conv layer4.0.downsample.0 2048 1024 1 1 2 2 0 0
        bn layer4.0.downsample.1 2048 1e-05
        conv layer4.1.conv1 512 2048 1 1 1 1 0 0
        bn layer4.1.bn1 512 1e-05
        conv layer4.1.conv2 512 512 3 3 1 1 1 1
        bn layer4.1.bn2 512 1e-05
        conv layer4.1.conv3 2048 512 1 1 1 1 0 0
        bn layer4.1.bn3 2048 1e-05
        conv layer4.2.conv1 512 2048 1 1 1 1 0 0
        bn layer4.2.bn1 512 1e-05
        conv layer4.2.conv2 512 512 3 3 1 1 1 1
        bn layer4.2.bn2 512 1e-05
        conv layer4.2.conv3 2048 512 1 1 1 1 0 0
        bn layer4.2.bn3 2048 1e-05
        """
}
