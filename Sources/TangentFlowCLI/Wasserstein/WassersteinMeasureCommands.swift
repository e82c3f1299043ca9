import CommandLineSupport

/// The `wasserstein` subcommands on measures and distances (signed measures, the (r, η) PDE, sliced Wasserstein,
/// the trainable second layer), kept in one list so the group's table changes in one place.
let wassersteinMeasureCommands: [CommandSpec] = [signedMeasureCommand, polarPDECommand, slicedCommand, trainableSecondLayerCommand]
