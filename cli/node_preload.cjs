// Preloaded into jsii's Node process by cli/process.py (NODE_OPTIONS=--require).
// A terminal's Ctrl-C reaches the whole process group. Node would die mid-call and jsii would
// print "Error on jsii API channel" before Python reports the interrupt; instead Python handles
// it alone (cli/entry.py: exit 130) and asks this process to exit once its current call is done.
process.on("SIGINT", () => {});
