// Command pulumi-language-nodejs is this project's Node.js language host for
// the Pulumi engine.
//
// The upstream host is not published on the Go module proxy, so the project
// carries a small one of its own. It serves the engine's LanguageRuntime gRPC
// service and runs a program the way @pulumi/pulumi expects to be run: `node
// <@pulumi/pulumi/cmd/run> --monitor ... <program>` with the stack's config in
// PULUMI_CONFIG. It does only what this project needs: no plugin discovery
// (the program uses dynamic providers only), no package installation (`make`
// runs npm), no code generation. Of the plugins a Node.js program can be, it
// runs policy packs (`--policy-pack`, see RunPlugin) and nothing else.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at build time to the CLI release this host is built with.
var version = "3.0.0-dev"

// exitAfterReportedError is the exit code @pulumi/pulumi's run script uses
// when it has already shown the error to the user: the engine must not print
// a second, generic one.
const exitAfterReportedError = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu         sync.Mutex
	engineAddr string
	// Whether the engine is being watched (watchEngine), and the node processes running for it.
	watching bool
	children map[*exec.Cmd]struct{}
}

// engineCheckEvery is how often the host asks the engine whether it is still there.
const engineCheckEvery = 15 * time.Second

// watchEngine ends this host, and the programs and policy packs it runs, once the engine that started
// it is gone (a `pulumi up` killed with SIGKILL): otherwise they would idle on forever, holding their
// connections to the hosts. Upstream's language hosts do the same with the same health check.
func (h *host) watchEngine(addr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.watching || addr == "" {
		return
	}
	h.watching = true
	ctx, gone := context.WithCancel(context.Background())
	if err := rpcutil.Healthcheck(ctx, addr, engineCheckEvery, gone); err != nil {
		h.watching = false
		return
	}
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		for cmd := range h.children {
			if cmd.Process != nil {
				_ = cmd.Process.Kill()
			}
		}
		h.mu.Unlock()
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: the engine at %s is gone; exiting\n", addr)
		os.Exit(1)
	}()
}

// track runs cmd (started by the caller) as one of the host's children until it ends.
func (h *host) track(cmd *exec.Cmd) func() {
	h.mu.Lock()
	if h.children == nil {
		h.children = map[*exec.Cmd]struct{}{}
	}
	h.children[cmd] = struct{}{}
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.children, cmd)
		h.mu.Unlock()
	}
}

func main() {
	flags := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	// Flags the engine or `pulumi plugin run` may pass; accepted and unused.
	flags.String("tracing", "", "zipkin endpoint (unused)")
	flags.String("root", "", "project root (unused)")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	h := &host{}
	if flags.NArg() > 0 {
		h.engineAddr = flags.Arg(0)
		h.watchEngine(h.engineAddr)
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddr = req.GetEngineAddress()
	h.mu.Unlock()
	h.watchEngine(req.GetEngineAddress())
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// The program registers only dynamic resources, served by the
// pulumi-resource-pulumi-nodejs plugin that sits beside the CLI.
func (h *host) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "node was not found on PATH: run through `make` or put Node.js 22 first on PATH"}, nil
	}
	programDir := req.GetPwd()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		programDir = info.GetProgramDirectory()
	}
	runScript, err := resolveModule(ctx, node, programDir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	h.mu.Lock()
	engineAddr := h.engineAddr
	h.mu.Unlock()

	args := []string{runScript,
		"--monitor=" + req.GetMonitorAddress(),
		"--engine=" + engineAddr,
		"--project=" + req.GetProject(),
		"--stack=" + req.GetStack(),
		"--pwd=" + req.GetPwd(),
		"--parallel=" + strconv.Itoa(int(req.GetParallel())),
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization="+req.GetOrganization())
	}
	if info := req.GetInfo(); info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root-directory="+info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	program := req.GetProgram()
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	env, err := programEnv(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	runErr := cmd.Start()
	if runErr == nil {
		done := h.track(cmd)
		runErr = cmd.Wait()
		done()
	}
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(runErr, &exitErr) && exitErr.ExitCode() == exitAfterReportedError:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(runErr, &exitErr):
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("the Node.js program exited with code %d", exitErr.ExitCode()),
		}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", runErr)}, nil
	}
}

// resolveModule finds one of @pulumi/pulumi's scripts the way Node resolves
// it from the program's (or policy pack's) directory, so that directory's own
// copy of the SDK is used.
func resolveModule(ctx context.Context, node, dir, module string) (string, error) {
	out, err := exec.CommandContext(ctx, node, "-e",
		"process.stdout.write(require.resolve(process.argv[2], {paths: [process.argv[1]]}))",
		dir, module).Output()
	if err != nil {
		return "", fmt.Errorf("%s cannot be found from %s (is @pulumi/pulumi installed there? run `npm ci`): %v", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func programEnv(req *pulumirpc.RunRequest) ([]string, error) {
	configMap := req.GetConfig()
	if configMap == nil {
		configMap = map[string]string{} // @pulumi/pulumi cannot parse "null"
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secrets),
	)
	typescript, tsconfig := true, ""
	if info := req.GetInfo(); info != nil && info.GetOptions() != nil {
		opts := info.GetOptions().AsMap()
		if v, ok := opts["typescript"].(bool); ok {
			typescript = v
		}
		if v, ok := opts["tsconfig"].(string); ok {
			tsconfig = v
		}
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))
	if tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	return env, nil
}

func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	// Dependencies are installed by the project's Makefile (npm ci with a
	// lock file); the engine only needs to hear that nothing is left to do.
	return stream.Send(&pulumirpc.InstallDependenciesResponse{
		Stdout: []byte("dependencies are installed by `make` (npm ci)\n"),
	})
}

func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node was not found on PATH")
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %v", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

// GetProgramDependencies reports the program's direct npm dependencies with
// the versions actually installed under node_modules.
func (h *host) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetPwd()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		dir = info.GetProgramDirectory()
	}
	var manifest struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &manifest); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(manifest.Dependencies))
	for name := range manifest.Dependencies {
		names = append(names, name)
	}
	if req.GetTransitiveDependencies() {
		for name := range manifest.DevDependencies {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, name := range names {
		var installed struct {
			Version string `json:"version"`
		}
		if err := readJSON(filepath.Join(dir, "node_modules", name, "package.json"), &installed); err != nil {
			installed.Version = "not installed"
		}
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: name, Version: installed.Version})
	}
	return resp, nil
}

func readJSON(path string, into any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return json.NewDecoder(bufio.NewReader(f)).Decode(into)
}

// RunPlugin starts a plugin written in Node.js. The engine launches a policy
// pack this way (`pulumi preview|up --policy-pack DIR`): without it, a pack
// fails to start with "unimplemented". Only policy packs are supported; the
// project has no other Node.js plugin.
//
// A policy pack is @pulumi/pulumi's run-policy-pack script run on the pack's
// directory. @pulumi/policy learns the stack (pulumi.getStack(), the stack's
// config through pulumi.Config) from environment variables, while the engine
// sends them over gRPC (ConfigureStack) only once the plugin is up. The SDK's
// PolicyProxy bridges the two: it answers the engine first, hands us the
// stack's configuration, and forwards every later call to the pack we then
// start with that configuration in its environment.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetKind() != string(apitype.AnalyzerPlugin) {
		return fmt.Errorf("this project's Node.js language host runs policy packs only, not %s plugins (%s)",
			req.GetKind(), req.GetName())
	}
	ctx := server.Context()
	info := req.GetInfo()
	if info == nil || info.GetProgramDirectory() == "" {
		return errors.New("RunPlugin: the engine sent no program directory for the policy pack")
	}
	packDir := info.GetProgramDirectory()
	node, err := exec.LookPath("node")
	if err != nil {
		return errors.New("node was not found on PATH: run through `make` or put Node.js 22 first on PATH")
	}
	runScript, err := resolveModule(ctx, node, packDir, "@pulumi/pulumi/cmd/run-policy-pack")
	if err != nil {
		return err
	}

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	proxy, packStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start the policy pack proxy: %w", err)
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("the engine sent no stack configuration for the policy pack: %w", err)
	}
	env, err := policyPackEnv(req.GetEnv(), stack)
	if err != nil {
		return err
	}
	if opts := info.GetOptions(); opts != nil {
		if v, ok := opts.AsMap()["typescript"].(bool); ok {
			env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(v))
		}
	}

	// run-policy-pack takes the engine's address first and the pack's
	// directory last, and expects to run in that directory.
	args := append([]string{runScript}, req.GetArgs()...)
	args = append(args, packDir)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = packDir
	cmd.Env = env
	cmd.Stdout = packStdout
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		proxy.Abort(err)
		return fmt.Errorf("could not start the policy pack in %s: %w", packDir, err)
	}
	defer h.track(cmd)()
	// Attach waits for the pack's port, connects, and returns when it exits.
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("the policy pack in %s exited with code %d", packDir, exitErr.ExitCode())
		}
		return err
	}
	return closer.Close()
}

// policyPackEnv is the engine's environment for the plugin plus what
// @pulumi/pulumi reads to know its stack: organization, project, stack,
// whether this is a preview, and the stack's configuration as JSON.
func policyPackEnv(base []string, stack *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	env := append(os.Environ(), base...)
	if stack == nil {
		return env, nil
	}
	set := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	set("PULUMI_NODEJS_ORGANIZATION", stack.GetOrganization())
	set("PULUMI_NODEJS_PROJECT", stack.GetProject())
	set("PULUMI_NODEJS_STACK", stack.GetStack())
	set("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
	config := stack.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	set("PULUMI_CONFIG", string(configJSON))
	secretKeys := stack.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretsJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	set("PULUMI_CONFIG_SECRET_KEYS", string(secretsJSON))
	return env, nil
}
