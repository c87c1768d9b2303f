/*
 * fota-sim: simulated devices running the device core on the host.
 *
 *   fota-sim mkfw -V X.Y.Z [-s SIZE] -o FILE.bin
 *   fota-sim device init --flash FILE -k PUB.pem [--image IMAGE] [--model f103ze|f103zg]
 *   fota-sim device stage --flash FILE IMAGE
 *   fota-sim device boot --flash FILE
 *   fota-sim device confirm --flash FILE
 *   fota-sim device status --flash FILE
 *   fota-sim provision -d DATADIR --simdir SIMDIR -n N --image V1.IMG [-g GROUP]
 *                      [--model f103ze|f103zg]
 *   fota-sim run --simdir SIMDIR [--server HOST:PORT] [--parallel N] [--flaky P]
 *                [--corrupt P] [--power-cuts P] [--timeout S] [--seed N] [--window N]
 *                [--chunk BYTES] [--frame BYTES] [--backoff MS] [--rate BPS] [-v]
 *   fota-sim run --simdir SIMDIR --modem TTYPATH [--device ID] [--apn APN]
 *                [--server HOST:PORT] [--timeout S] [--window N] [--chunk BYTES]
 *                [--frame BYTES] [--backoff MS] [-v]
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet.h"
#include "fota/error.h"
#include "fota/proto.h"
#include "keyfile.h"
#include "modemrun.h"
#include "simdev.h"
#include "simfw.h"
#include "simprov.h"
#include "util.h"

static const char usage_text[] =
    "usage: fota-sim COMMAND ...\n"
    "\n"
    "  mkfw -V X.Y.Z [-s SIZE] [-a ADDR] -o FILE.bin\n"
    "      write a demo firmware for the application slot (SIZE bytes, default\n"
    "      20480, at most 495616: the f103zg's slot; ADDR default 0x08005200)\n"
    "  device init --flash FILE -k KEY_OR_PUB.pem [--image IMAGE] [--model M]\n"
    "      make a device: flash file with the bootloader key and IMAGE in the\n"
    "      primary slot, as a factory programmer leaves it (no IMAGE: none, the\n"
    "      bootloader stays in recovery)\n"
    "  device stage --flash FILE IMAGE\n"
    "      write IMAGE to the secondary slot and mark it pending, as the agent\n"
    "      does after a complete download\n"
    "  device boot --flash FILE\n"
    "      reset the device: run the bootloader core and say what it did\n"
    "  device confirm --flash FILE\n"
    "      the running image confirms itself\n"
    "  device status --flash FILE\n"
    "      the model, the bootloader state, the last record and the images in\n"
    "      both slots\n"

    "  provision -d DATADIR --simdir SIMDIR -n N --image V1.IMG [-g GROUP] [--model M]\n"
    "      make N devices (sim-0001 ...) in the server's store and as simulated\n"
    "      devices in SIMDIR: a flash file with V1.IMG installed and booted, and a\n"
    "      provisioning file each\n"
    "  run --simdir SIMDIR [--server HOST:PORT] [--parallel N] [--flaky P] [--corrupt P]\n"
    "      [--power-cuts P] [--timeout S] [--seed N] [--window N] [--chunk BYTES]\n"
    "      [--frame BYTES] [--backoff MS]\n"
    "      [--rate BPS] [-v]\n"
    "      run the devices of SIMDIR against the server until each runs the image\n"
    "      assigned to it: progress, then a table; exit 0 only if all did\n"
    "\n"
    "models (--model of device init and provision; the other commands tell a\n"
    "device's model from the size of its flash file):\n"
    "  f103ze   STM32F103ZE, 512 KiB flash (the default): images up to 114 pages,\n"
    "           232864 bytes of payload\n"
    "  f103zg   STM32F103ZG, 1 MiB flash: images up to 242 pages, 495008 bytes of\n"
    "           payload (docs/flash-layout.md)\n"
    "\n"
    "run options:\n"
    "  --server HOST:PORT   the server (default: each provisioning file's)\n"
    "  --parallel N         devices running at once (default: all)\n"
    "  --flaky P            cut the connection at a frame (between two, or inside\n"
    "                       one) with probability P (0..1)\n"
    "  --corrupt P          flip a bit in the body or CRC of a received frame with\n"
    "                       probability P (0..1), at most once per connection\n"
    "  --power-cuts P       in each boot cycle, cut the power at a random flash\n"
    "                       operation with probability P (0..1)\n"
    "  --timeout S          devices not done after S seconds fail (default 300)\n"
    "  --seed N             seed of the faults (default: from the clock; printed)\n"
    "  --window N           DATA frames the devices let be in flight (1..64,\n"
    "                       default 8)\n"
    "  --chunk BYTES        image bytes per DATA frame (64..1024, default 512,\n"
    "                       at most what --frame takes)\n"
    "  --frame BYTES        the largest frame the devices take (256..1038, default\n"
    "                       1038; an OFFER needs 622 with 512-byte image headers)\n"
    "  --backoff MS         the agent's first reconnect delay (default 1000)\n"
    "  --rate BPS           bytes per second each device receives at most, as on\n"
    "                       a slow link (default: no limit)\n"
    "  -v, --verbose        a line per reset, cut and outcome (--modem: the AT\n"
    "                       dialogue too)\n"
    "  --modem TTYPATH      through the modem on TTYPATH (one device)\n"
    "  --device ID          with --modem: the device of SIMDIR to run (default:\n"
    "                       the only one)\n"
    "  --apn APN            with --modem: the access point name (default\n"
    "                       \"internet\")\n";

struct sim_options {
    const char *flash;
    const char *model;
    const char *key;
    const char *image;
    const char *output;
    const char *version;
    uint32_t size;
    uint32_t load_address;
};

static int usage_error(const char *what)
{
    fprintf(stderr, "fota-sim: %s\n\n%s", what, usage_text);
    return 2;
}

static int options_parse(struct sim_options *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"flash", required_argument, NULL, 'f'}, {"key", required_argument, NULL, 'k'},
        {"image", required_argument, NULL, 'i'}, {"output", required_argument, NULL, 'o'},
        {"version", required_argument, NULL, 'V'}, {"size", required_argument, NULL, 's'},
        {"load-address", required_argument, NULL, 'a'}, {"model", required_argument, NULL, 'M'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:k:i:o:V:s:a:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f': o->flash = optarg; break;
        case 'k': o->key = optarg; break;
        case 'i': o->image = optarg; break;
        case 'o': o->output = optarg; break;
        case 'V': o->version = optarg; break;
        case 'M': o->model = optarg; break;
        case 's':
        case 'a':
            if (tool_parse_u32(optarg, opt == 's' ? &o->size : &o->load_address) < 0) {
                fprintf(stderr, "fota-sim: -%c: '%s' is not a number\n", opt, optarg);
                return -1;
            }
            break;
        default: return -1;
        }
    }
    return 0;
}

static int cmd_mkfw(struct sim_options *o)
{
    struct simfw_spec spec = {.size = o->size, .load_address = o->load_address};

    if (!o->version || !o->output)
        return usage_error("mkfw needs -V and -o");
    if (o->model != NULL)
        return usage_error("mkfw takes no --model: its firmware fits either model");
    if (o->size > simdev_slot_max()) {
        fprintf(stderr, "fota-sim: -s %u: a firmware takes at most %u bytes, the largest "
                        "slot of any model\n", (unsigned)o->size, (unsigned)simdev_slot_max());
        return 2;
    }
    if (simfw_version_parse(&spec, o->version) < 0) {
        fprintf(stderr, "fota-sim: -V: '%s' is not a version X.Y.Z\n", o->version);
        return 2;
    }
    return simfw_write(o->output, &spec) < 0 ? 1 : 0;
}

static int image_load(const char *path, uint8_t **data, size_t *len)
{
    return tool_read_file(path, 1u << 20, data, len);
}

/* The model --model names (NULL for the default when not given); NULL and
 * *bad set after printing why for a name no model has. */
static const struct simdev_model *model_parse(const char *name, int *bad)
{
    const struct simdev_model *m = name != NULL ? simdev_model_find(name) : NULL;

    *bad = name != NULL && m == NULL;
    if (*bad)
        fprintf(stderr, "fota-sim: --model: no model '%s' (f103ze or f103zg)\n", name);
    return m;
}

static int cmd_init(struct sim_options *o)
{
    struct tool_key key;
    const struct simdev_model *model;
    uint8_t *image;
    size_t len;
    int rc, bad;

    if (!o->flash || !o->key)
        return usage_error("device init needs --flash and -k");
    model = model_parse(o->model, &bad);
    if (bad)
        return 2;
    if (key_load(&key, o->key, KEY_ANY) < 0)
        return 1;
    image = NULL;
    len = 0;
    if (o->image != NULL && image_load(o->image, &image, &len) < 0) {
        key_wipe(&key);
        return 1;
    }
    rc = simdev_create(o->flash, model, key.pub, image, (uint32_t)len);
    key_wipe(&key);
    free(image);
    if (rc == 0 && o->image != NULL)
        printf("%s: device made, %s in the primary slot (%zu bytes)\n", o->flash, o->image,
               len);
    else if (rc == 0)
        printf("%s: device made without an application (the bootloader stays in "
               "recovery)\n", o->flash);
    return rc < 0 ? 1 : 0;
}

static int cmd_stage(struct simdev *dev, const char *path)
{
    uint8_t *image;
    size_t len;
    int err;

    if (image_load(path, &image, &len) < 0)
        return 1;
    err = simdev_stage(dev, image, (uint32_t)len);
    free(image);
    if (err < 0) {
        fprintf(stderr, "fota-sim: staging %s failed: %s\n", path, fota_strerror(err));
        return 1;
    }
    printf("staged %s in the secondary slot (%zu bytes), pending\n", path, len);
    return 0;
}


static int cmd_confirm(struct simdev *dev)
{
    int err = fota_boot_confirm(&dev->boot);

    if (err < 0) {
        fprintf(stderr, "fota-sim: confirm failed: %s\n", fota_strerror(err));
        return 1;
    }
    printf("confirmed the running image\n");
    return 0;
}

static void slot_print(struct simdev *dev, const char *name, uint32_t addr)
{
    struct fota_image_header hdr;
    char version[32];
    int err = simdev_slot_header(dev, addr, &hdr);

    if (err < 0) {
        printf("%-10s 0x%08x: no image (%s)\n", name, (unsigned)addr, fota_strerror(err));
        return;
    }
    simdev_version_str(version, &hdr.version);
    printf("%-10s 0x%08x: version %s, counter %u, %u bytes payload\n", name, (unsigned)addr,
           version, (unsigned)hdr.security_counter, (unsigned)hdr.payload_size);
}

static int cmd_status(struct simdev *dev)
{
    struct fota_boot_state st;
    char line[128];
    int err = fota_boot_state_read(&dev->boot, &st);

    if (err < 0) {
        fprintf(stderr, "fota-sim: reading the state failed: %s\n", fota_strerror(err));
        return 1;
    }
    simdev_record_str(line, &st.record);
    printf("model      %s (%s, %u KiB of flash, images up to %u bytes)\n", dev->model->name,
           dev->model->part, (unsigned)(dev->flash.flash.size / 1024u),
           (unsigned)(dev->boot.layout.secondary_pages * dev->flash.flash.page_size));
    printf("counter    %u\ntrial      %s\npending    %s\nlast reset %s\n", (unsigned)st.counter,
           st.trial ? "yes" : "no", st.pending ? "yes" : "no", line);
    slot_print(dev, "primary", dev->boot.layout.primary_addr);
    slot_print(dev, "secondary", dev->boot.layout.secondary_addr);
    return 0;
}

static int cmd_device(int argc, char **argv)
{
    struct sim_options o = {0};
    struct simdev dev;
    const char *verb = argv[0];
    int rc;

    if (options_parse(&o, argc, argv) < 0)
        return usage_error("bad option");
    if (strcmp(verb, "init") == 0)
        return cmd_init(&o);
    if (!o.flash)
        return usage_error("device commands need --flash FILE");
    if (o.model != NULL)
        return usage_error("--model goes with device init: the other device commands tell "
                           "the model from the flash file's size");
    if (strcmp(verb, "stage") == 0 && optind != argc - 1)
        return usage_error("device stage needs one IMAGE");
    if (simdev_open(&dev, o.flash) < 0)
        return 1;
    if (strcmp(verb, "stage") == 0)
        rc = cmd_stage(&dev, argv[optind]);
    else if (strcmp(verb, "boot") == 0)
        rc = simdev_reset(&dev);
    else if (strcmp(verb, "confirm") == 0)
        rc = cmd_confirm(&dev);
    else if (strcmp(verb, "status") == 0)
        rc = cmd_status(&dev);
    else
        rc = usage_error("unknown device command");
    simdev_close(&dev);
    return rc;
}

static int parse_unsigned(const char *opt, const char *s, unsigned lo, unsigned hi,
                          unsigned *out)
{
    uint32_t v;

    if (tool_parse_u32(s, &v) < 0 || v < lo || v > hi) {
        fprintf(stderr, "fota-sim: %s: '%s' is not a number from %u to %u\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_probability(const char *opt, const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !(v >= 0.0 && v <= 1.0)) {
        fprintf(stderr, "fota-sim: %s: '%s' is not a probability from 0 to 1\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int cmd_provision(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'}, {"simdir", required_argument, NULL, 'S'},
        {"count", required_argument, NULL, 'n'},    {"image", required_argument, NULL, 'i'},
        {"group", required_argument, NULL, 'g'},    {"model", required_argument, NULL, 'M'},
        {NULL, 0, NULL, 0},
    };
    struct simprov_options o = {0};
    int opt, bad;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:n:i:g:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': o.datadir = optarg; break;
        case 'S': o.simdir = optarg; break;
        case 'i': o.image = optarg; break;
        case 'g': o.group = optarg; break;
        case 'M':
            o.model = model_parse(optarg, &bad);
            if (bad)
                return 2;
            break;
        case 'n':
            if (parse_unsigned("-n", optarg, 1, SIMPROV_MAX, &o.count) < 0)
                return 2;
            break;
        default: return usage_error("bad option");
        }
    }
    if (optind != argc)
        return usage_error("provision takes no arguments beside its options");
    if (!o.datadir || !o.simdir || !o.count || !o.image)
        return usage_error("provision needs -d DATADIR, --simdir SIMDIR, -n N and --image");
    return simprov_run(&o);
}

static uint64_t seed_default(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^
            (uint64_t)getpid() << 20) % 1000000000u;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"simdir", required_argument, NULL, 'S'},  {"server", required_argument, NULL, 's'},
        {"parallel", required_argument, NULL, 'p'}, {"flaky", required_argument, NULL, 'f'},
        {"corrupt", required_argument, NULL, 'c'},
        {"power-cuts", required_argument, NULL, 'P'}, {"timeout", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 'r'},   {"window", required_argument, NULL, 'w'},
        {"frame", required_argument, NULL, 'F'},  {"chunk", required_argument, NULL, 'k'},
        {"backoff", required_argument, NULL, 'b'}, {"rate", required_argument, NULL, 'R'},
        {"verbose", no_argument, NULL, 'v'},      {"modem", required_argument, NULL, 'm'},
        {"device", required_argument, NULL, 'd'}, {"apn", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    struct fleet_options o = {.timeout_s = 300};
    struct modemrun_options m = {.apn = "internet"};
    int fleet_only = 0;
    unsigned seed_hi;
    int opt, has_seed = 0;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
        int bad = 0;

        switch (opt) {
        case 'S': o.simdir = optarg; break;
        case 's': o.server = optarg; break;
        case 'v': o.verbose = 1; break;
        case 'm': m.tty = optarg; break;
        case 'd': m.device = optarg; break;
        case 'a': m.apn = optarg; break;
        case 'p': bad = parse_unsigned("--parallel", optarg, 1, 1000000, &o.parallel); break;
        case 'f': bad = parse_probability("--flaky", optarg, &o.flaky); break;
        case 'c': bad = parse_probability("--corrupt", optarg, &o.corrupt); break;
        case 'P': bad = parse_probability("--power-cuts", optarg, &o.power_cuts); break;
        case 't': bad = parse_unsigned("--timeout", optarg, 1, 86400, &o.timeout_s); break;
        case 'w': bad = parse_unsigned("--window", optarg, 1, 64, &o.agent.window); break;
        case 'F':
            bad = parse_unsigned("--frame", optarg, FOTA_PROTO_MIN_FRAME, SIMDEV_RX_SIZE,
                                 &o.agent.frame);
            break;
        case 'k':
            bad = parse_unsigned("--chunk", optarg, FOTA_PROTO_CHUNK_MIN,
                                 FOTA_PROTO_DATA_MAX(SIMDEV_RX_SIZE), &o.agent.chunk);
            break;
        case 'b': bad = parse_unsigned("--backoff", optarg, 1, 60000, &o.agent.backoff_ms); break;
        case 'R': bad = parse_unsigned("--rate", optarg, 0, 1u << 30, &o.rate); break;
        case 'r':
            bad = parse_unsigned("--seed", optarg, 0, UINT32_MAX, &seed_hi);
            o.seed = seed_hi;
            has_seed = 1;
            break;
        default: return usage_error("bad option");
        }
        if (bad)
            return 2;
        fleet_only |= strchr("pfcPRr", opt) != NULL;
    }
    if (optind != argc)
        return usage_error("run takes no arguments beside its options");
    if (o.agent.chunk != 0 && o.agent.frame != 0 &&
        o.agent.chunk > FOTA_PROTO_DATA_MAX(o.agent.frame)) {
        fprintf(stderr, "fota-sim: --chunk %u does not fit a --frame of %u (at most %u)\n",
                o.agent.chunk, o.agent.frame, (unsigned)FOTA_PROTO_DATA_MAX(o.agent.frame));
        return 2;
    }
    if (!o.simdir)
        return usage_error("run needs --simdir SIMDIR");
    if (m.tty != NULL) {
        if (fleet_only)
            return usage_error("--modem runs one device: no --parallel, --flaky, "
                               "--corrupt, --power-cuts, --rate or --seed");
        m.simdir = o.simdir;
        m.server = o.server;
        m.timeout_s = o.timeout_s;
        m.agent = o.agent;
        m.verbose = o.verbose;
        return modemrun_run(&m);
    }
    if (m.device != NULL)
        return usage_error("--device goes with --modem");
    if (!has_seed)
        o.seed = seed_default();
    return fleet_run(&o);
}

int main(int argc, char **argv)
{
    struct sim_options o = {.load_address = 0};

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "mkfw") == 0) {
        if (options_parse(&o, argc - 1, argv + 1) < 0)
            return usage_error("bad option");
        return cmd_mkfw(&o);
    }
    if (strcmp(argv[1], "device") == 0 && argc >= 3)
        return cmd_device(argc - 2, argv + 2);
    if (strcmp(argv[1], "provision") == 0)
        return cmd_provision(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    return usage_error("unknown command");
}
