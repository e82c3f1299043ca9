import CommandLineSupport
import Foundation

/// `tangentflow experiment …`: the experiments suggested in the summary of Chen & Muñoz Ewald (arXiv 2408.01517),
/// each writing a CSV, an SVG/PNG plot and its headline claim into `run.json`.
let experimentCommand = CommandSpec(
    name: "experiment",
    abstract: "Experiments suggested by Chen & Muñoz Ewald (arXiv 2408.01517): each writes a CSV, a plot and its headline claim.",
    subcommands: [learningRateExperimentCommand, reluVersusSoftplusExperimentCommand, initScaleExperimentCommand, fibreExperimentCommand,
                  adaptedCostExperimentCommand],
    examples: ["tangentflow experiment learning-rate -o learning-rate", "tangentflow experiment relu-vs-softplus -o relu-vs-softplus",
               "tangentflow experiment init-scale -o init-scale", "tangentflow experiment fibre -o fibre",
               "tangentflow experiment adapted-cost -o adapted-cost"])
