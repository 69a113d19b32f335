"""The `kiosk` command: run the installation, label images, check the setup, look up labels.

`kiosk run` starts the kiosk (Q or Esc quits; Ctrl+C in a terminal); plain `kiosk` prints this.

Every installer-facing failure (config, model, labels, source) ends with one clear line on
stderr and exit status 2 before any screen opens.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import sys
from pathlib import Path

from kiosk.config import ConfigError, KioskConfig, load_config

EXIT_USAGE = 2
EXIT_NO_SCREEN = 3  # display.require_screen and no screen could be opened

log = logging.getLogger("kiosk")


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(levelname)s %(name)s: %(message)s",  # journald adds the time stamps
        stream=sys.stderr,
    )


def _add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help="YAML config (default: $KIOSK_CONFIG or config/kiosk.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a setting, e.g. camera.fps=15")
    parser.add_argument("--verbose", action="store_true",
                        help="also show the native libraries' routine messages (MediaPipe, "
                             "LiteRT, SDL), which are otherwise dropped; errors always show")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run the installation (Q or Esc quits, Ctrl+C in a terminal)")
    _add_config_args(run)
    run.add_argument("--headless", action="store_true", help="draw off-screen (no window)")
    run.add_argument("--frames", type=int, default=None, help="stop after N frames")
    run.add_argument("--seconds", type=float, default=None, help="stop after S seconds")

    classify = sub.add_parser(
        "classify", help="label the faces (or the scene) of images, as the web version did",
        description=CLASSIFY_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_config_args(classify)
    classify.add_argument("images", type=Path, nargs="+", metavar="IMAGE",
                          help="image file to label (PNG, JPEG, ...; large ones are scaled "
                               "down), or several, or folders of them")
    classify.add_argument("-r", "--recursive", action="store_true",
                          help="also look for images in the folders' subfolders")
    classify.add_argument("-o", "--output", type=Path, default=None,
                          help="also write the annotated image to this PNG; with several "
                               "images, or a folder, the folder for the annotated PNGs")
    classify.add_argument("--json", action="store_true",
                          help="print one JSON object on stdout (format below) instead of text")

    doctor = sub.add_parser("doctor", help="check camera, display, model, labels and config, "
                            "and whether this host can hold camera rate")
    _add_config_args(doctor)
    doctor.add_argument("--no-selftest", dest="selftest", action="store_false",
                        help="skip the self-test (a few seconds of detection, drawing and "
                             "labelling on bundled frames, timed against camera.fps)")

    calibration = sub.add_parser(
        "calibration", help="what the kiosk has learnt of its room (show), or forget it (reset)",
        description="The kiosk keeps per-synset statistics of its visitors' scores (a count and "
        "two vectors of numbers, no image, nothing before 20 visitors) and blends them with the "
        "shipped prior, so that a room's light does not give everybody the same label.")
    _add_config_args(calibration)
    calibration.add_argument("action", choices=("show", "reset"), nargs="?", default="show")

    label = sub.add_parser("label", help="breadcrumb, gloss, policy status and translations of "
                           "a wnid or lemma; --coverage: how far each language reaches; "
                           "--band: the proof-reading sheet",
                           add_help=False)
    label.add_argument("args", nargs=argparse.REMAINDER,
                       help="wnids or lemmas; --config adds this installation's status")
    return parser


CLASSIFY_DESCRIPTION = """\
Label the faces of an image (or, with no face, the whole scene) and print the result.

One image file:
Text (default): one label and breadcrumb per face, or the scene's.
--json: exactly one JSON object on stdout, nothing else (logs go to stderr):
  {"image": PATH, "width": W, "height": H,
   "faces": [{"box": [x, y, w, h], "score": F, "wnid": "n...", "label": NAME,
              "label_en": NAME, "probability": F, "gloss": TEXT, "gloss_language": "en",
              "gloss_band": TEXT, "breadcrumb": [NAME, ...], "topk": [[NAME, F], ...]}],
   "scene": null, or the same fields without box and score when no face was found}
With vocabulary.language (--set vocabulary.language=it) "label", "breadcrumb" and "topk" are in
that language where a translation exists, "label_en" is WordNet's English, and "gloss" is the
source's own definition where it has one ("gloss_language" says which).
Boxes are in the file's own pixels. Images over 16 megapixels are scaled down for the work
(a JPEG of any size is decoded reduced; another format over 64 megapixels is refused).

Several images, or folders (-r: their subfolders too), in one process, the model loaded once:
one JSON object per line (JSON Lines), the object above, plus "annotated": PNG with -o DIR
(DIR/<path below the folder>.png). An image that cannot be read or labelled gives
{"image": PATH, "error": MESSAGE} and the run goes on; exit status 1 if any failed.
In a folder, files ending in .jpg .jpeg .jpe .png .bmp .tif .tiff .webp are labelled, hidden
ones skipped. On a terminal, a progress bar (done, rate, time left) goes to stderr."""


def _load(args: argparse.Namespace) -> KioskConfig:
    from kiosk.config import load_config_from_env

    return load_config_from_env(args.config, args.overrides)


def _fail(message: str) -> int:
    print(f"kiosk: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _startup_errors() -> tuple[type[BaseException], ...]:
    from kiosk.classify.errors import ModelError
    from kiosk.detect import DetectorError
    from kiosk.labels.taxonomy import LabelsError
    from kiosk.labels.vocabulary import VocabularyError
    from kiosk.sources.base import SourceError

    return (ConfigError, ModelError, LabelsError, VocabularyError, SourceError, DetectorError)


def _preflight(config: KioskConfig) -> None:
    from kiosk.config import check_paths

    missing = check_paths(config)
    if missing:
        raise ConfigError("; ".join(missing))


def _deny_network(config: KioskConfig) -> None:
    """Before any model loads: the process may not open internet sockets (service.deny_network)."""
    if not config.service.deny_network:
        log.warning("service.deny_network is off: this process may open internet sockets")
        return
    from kiosk.service.network_guard import deny_network_sockets

    problem = deny_network_sockets()
    if problem is None:
        log.info("internet sockets denied to this process (seccomp)")
    else:
        log.warning("could not deny internet sockets: %s", problem)


def cmd_run(args: argparse.Namespace) -> int:
    faulthandler.enable()  # a watchdog kill (SIGABRT) prints every thread's stack
    from kiosk.app import DisplayError, KioskApp, init_display, screen_required
    from kiosk.classify.loading import load_model_parts
    from kiosk.screen_capture import Capture
    from kiosk.service.health import Health
    from kiosk.service.metrics import Metrics
    from kiosk.service.notify import Notifier
    from kiosk.sources import open_source

    try:
        config = _load(args)
        _setup_logging(config.service.log_level)
        _deny_network(config)
        _preflight(config)
        require_screen = screen_required(config) and not args.headless
        if require_screen:  # before the models load: a service with no screen fails in a second
            init_display(config, required=True)
        parts = load_model_parts(config, calibrate=True)
        source, notice = open_source(config)
    except DisplayError as exc:  # never READY, never healthy: systemd restarts the kiosk
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return EXIT_NO_SCREEN
    except _startup_errors() as exc:
        return _fail(str(exc))
    log.info("model on %s (%s); vocabulary: %s, %d labels", parts.classifier.provider,
             parts.classifier.provider_note, config.vocabulary.policy,
             parts.vocabulary.allowed_count)
    metrics = Metrics(config.service)
    metrics.set_provider(parts.classifier.provider)
    health = Health.from_config(config.service)
    try:
        app = KioskApp(
            config, parts.labeller, source, notice=notice, headless=args.headless,
            notifier=Notifier(), metrics=metrics,
            health=health if health.enabled else None,
            capture=Capture(config.capture) if config.capture.enabled else None,
            provider=parts.classifier.provider,
            vocabulary=f"{config.vocabulary.policy} ({parts.vocabulary.allowed_count} labels)",
            calibration=parts.calibration,
            require_screen=require_screen,
        )
    except DisplayError as exc:  # the screen went between the check above and now
        source.close()
        parts.close()
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return EXIT_NO_SCREEN
    if app.headless and not args.headless:
        log.warning("no screen found: running headless (nothing is shown)")
    try:
        stats = app.run(max_frames=args.frames, max_seconds=args.seconds)
    except KeyboardInterrupt:
        stats = None
    finally:
        app.close()
        parts.close()
    if stats is not None:
        log.info("stopped after %d frames, %.1f s, %.1f fps", stats.frames, stats.seconds,
                 stats.fps)
    return 0


def _one_image(args: argparse.Namespace) -> Path | None:
    """The image of today's single-image form (`kiosk classify IMAGE`), else None."""
    if len(args.images) == 1 and not args.images[0].is_dir():
        return args.images[0]
    return None


def cmd_classify(args: argparse.Namespace) -> int:
    if _one_image(args) is None:
        return cmd_classify_many(args)
    import json

    from kiosk.annotate_image import StillImage, classify_still, result_json, write_annotated
    from kiosk.classify.loading import load_model_parts

    image = _one_image(args)
    if args.output is not None and args.output.is_dir():  # -o DIR: DIR/<name>.png
        args.output = args.output / Path(image.name).with_suffix(".png")
    try:
        config = _load(args)
        _setup_logging(config.service.log_level)
        still = StillImage.read(image)  # inputs first: a bad file fails before the model loads
        _deny_network(config)
        parts = load_model_parts(config)
    except _startup_errors() as exc:
        return _fail(str(exc))
    try:
        result = classify_still(config, parts.labeller, still)
        if args.output is not None:
            write_annotated(config, result.view, args.output)
    except _startup_errors() as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(str(exc))
    finally:
        parts.close()
    if args.json:
        print(json.dumps(result_json(still, result), ensure_ascii=False))
    else:
        view = result.view
        labels = [f.label for f in view.faces if f.label] or [view.scene_label]
        for label in labels:
            if label is not None:
                print(f"{label.name}  ({label.probability:.1%})\n  {label.breadcrumb_text}")
    if args.output is not None:
        print(f"wrote {args.output}", file=sys.stderr if args.json else sys.stdout)
    return 0


def cmd_classify_many(args: argparse.Namespace) -> int:
    """Several images or folders: JSON Lines, one model load; exit 1 if any image failed."""
    from kiosk.annotate_many import InputError, check_output_dir, classify_many, collect_images
    from kiosk.classify.loading import load_model_parts

    try:
        config = _load(args)
        _setup_logging(config.service.log_level)
        items = collect_images(args.images, recursive=args.recursive)  # before the model loads
        if args.output is not None:
            check_output_dir(args.output)
        _deny_network(config)
        parts = load_model_parts(config)
    except InputError as exc:
        return _fail(str(exc))
    except _startup_errors() as exc:
        return _fail(str(exc))
    try:
        failures = classify_many(config, parts.labeller, items, args.output)
    except _startup_errors() as exc:
        return _fail(str(exc))
    finally:
        parts.close()
    done = len(items) - failures
    log.info("labelled %d of %d images%s", done, len(items),
             f"; {failures} failed (their lines have an \"error\")" if failures else "")
    return 1 if failures else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk.doctor import run_doctor

    return run_doctor(args.config, args.overrides, selftest=args.selftest)


def cmd_calibration(args: argparse.Namespace) -> int:
    from kiosk.classify.calibration import CalibrationError, SiteCalibration, file_size
    from kiosk.classify.loading import calibration_path
    from kiosk.classify.manifest import load_manifest
    from kiosk.classify.prior import load_prior

    try:
        config = _load(args)
        model_dir = config.resolve(config.classifier.model_dir)
        manifest = load_manifest(model_dir)
        if manifest.score_prior is None:
            return _fail(f"{model_dir}: this model has no score prior to calibrate")
        shipped = load_prior(model_dir / manifest.score_prior.file, len(manifest.output_wnids))
    except _startup_errors() as exc:
        return _fail(str(exc))
    path = calibration_path(config)
    cal = SiteCalibration(shipped, path, prior_weight=config.calibration.prior_weight)
    if args.action == "reset":
        removed = cal.reset()
        print(f"{path}: {'removed' if removed else 'no calibration file'}; a running kiosk "
              "keeps what it has learnt in memory until restarted "
              "(systemctl restart roulette-kiosk)")
        return 0
    try:
        found = cal.load()
    except CalibrationError as exc:
        return _fail(str(exc))
    state = "on" if config.calibration.enabled else "off (calibration.enabled: false)"
    print(f"calibration:   {state}")
    size = f"{file_size(shipped.classes)} bytes" if found else \
        "none yet: written from 20 visitors on"
    print(f"file:          {path} ({size})")
    summary = cal.summary()
    print(f"visitors:      {summary['visitors']} (each counted once, however long they stayed)")
    print(f"room's weight: {summary['weight_of_room']:.0%} of the prior (the shipped faces count "
          f"as {config.calibration.prior_weight:g} visitors)")
    print(f"shift:         the room's mean score is {summary['mean_shift_sd']:.2f} shipped sds "
          "from the shipped faces' (mean over synsets)")
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    from kiosk.labels.curator import main as curator_main

    return curator_main(list(args.args))


def main(argv: list[str] | None = None) -> int:
    """The `kiosk` command. Run as the program, native libraries' routine stderr chatter is
    filtered (kiosk/native_stderr.py) unless --verbose."""
    parser = _build_parser()
    program = argv is None  # the real command (not a test calling main): fd 2 may be redirected
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:  # a newcomer typing `kiosk`: say what there is rather than start a headless loop
        parser.print_help()
        return 0
    if argv[0] == "label":  # the curator tool parses its own arguments, --help included
        return cmd_label(argparse.Namespace(args=argv[1:]))
    if argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]
    args = parser.parse_args(argv)
    if program and not getattr(args, "verbose", True):
        from kiosk.native_stderr import filter_native_stderr

        filter_native_stderr()
    handlers = {"run": cmd_run, "classify": cmd_classify, "doctor": cmd_doctor,
                "calibration": cmd_calibration, "label": cmd_label}
    return handlers[args.command](args)


__all__ = ["main", "load_config"]
