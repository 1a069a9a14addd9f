package dev.elfz;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of a new JVM running a main class of the test class path, with the options the launcher gives. */
public final class ChildJvm {

    private ChildJvm() {}

    public static List<String> command(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "--add-modules",
                "jdk.incubator.vector",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
