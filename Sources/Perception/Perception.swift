/// Perception networks: the losses methods train with and the metrics papers report.
public enum Perception {}
