
import pytest

from reviewgen.training.schedules import KLAnnealing, TeacherForcing


def test_constant_is_max_from_the_start():
    schedule = KLAnnealing("constant", max_weight=0.5)
    assert [schedule.weight(s) for s in (0, 10, 10_000)] == [0.5, 0.5, 0.5]


def test_monotonic_ramps_then_stays_flat():
    schedule = KLAnnealing("monotonic", max_weight=2.0, warmup_steps=100)
    assert [schedule.weight(s) for s in (0, 25, 50, 100, 500)] == [0.0, 0.5, 1.0, 2.0, 2.0]


def test_linear_spans_the_whole_run():
    schedule = KLAnnealing("linear", max_weight=1.0, total_steps=200)
    assert [schedule.weight(s) for s in (0, 50, 200, 300)] == [0.0, 0.25, 1.0, 1.0]


def test_logistic_is_centred_on_half_the_warmup():
    schedule = KLAnnealing("logistic", max_weight=1.0, warmup_steps=1000)
    assert schedule.weight(500) == pytest.approx(0.5)
    assert schedule.weight(0) == pytest.approx(0.01)
    assert schedule.weight(1000) == pytest.approx(0.99)


def test_cyclical_by_hand():
    # 400 steps in 4 cycles of 100; ramp over the first half of each cycle, then flat at the maximum.
    schedule = KLAnnealing("cyclical", max_weight=1.0, total_steps=400, n_cycles=4, ratio=0.5)
    steps = (0, 25, 50, 99, 100, 125, 350, 375, 400, 1000)
    assert [schedule.weight(s) for s in steps] == [0.0, 0.5, 1.0, 1.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0]


def test_step_value_and_resume_from_state_dict():
    schedule = KLAnnealing("monotonic", max_weight=1.0, warmup_steps=10)
    for _ in range(3):
        schedule.step()
    assert schedule.value == pytest.approx(0.3)
    resumed = KLAnnealing("monotonic", max_weight=1.0, warmup_steps=10)
    resumed.load_state_dict(schedule.state_dict())
    assert resumed.step() == schedule.step() == pytest.approx(0.4)


@pytest.mark.parametrize("kwargs", [{"kind": "sigmoid"}, {"kind": "cyclical", "total_steps": None},
                                    {"kind": "cyclical", "total_steps": 10, "ratio": 0.0},
                                    {"kind": "monotonic", "max_weight": -1.0}])
def test_bad_configurations_are_refused(kwargs):
    with pytest.raises(ValueError):
        KLAnnealing(**kwargs)


def test_teacher_forcing_decays_by_epoch_then_holds():
    schedule = TeacherForcing(start=1.0, end=0.6, decay_epochs=4)
    assert [schedule.ratio(e) for e in (0, 1, 2, 4, 9)] == pytest.approx([1.0, 0.9, 0.8, 0.6, 0.6])
    schedule.step()
    schedule.step()
    resumed = TeacherForcing(start=1.0, end=0.6, decay_epochs=4)
    resumed.load_state_dict(schedule.state_dict())
    assert resumed.value == pytest.approx(0.8)
    assert TeacherForcing(start=0.9, end=0.5, decay_epochs=0).value == 0.5


def test_zero_steps_put_an_autoencoder_phase_before_the_schedule():
    plain = KLAnnealing("cyclical", max_weight=1.0, total_steps=100, n_cycles=2, ratio=0.5)
    delayed = KLAnnealing("cyclical", max_weight=1.0, total_steps=100, n_cycles=2, ratio=0.5, zero_steps=30)
    assert [delayed.weight(s) for s in (0, 15, 29)] == [0.0, 0.0, 0.0]
    assert [delayed.weight(30 + s) for s in range(0, 130, 5)] == [plain.weight(s) for s in range(0, 130, 5)]
    assert delayed.weight(30 + 20) == pytest.approx(0.8) and delayed.weight(30 + 200) == 1.0
    with pytest.raises(ValueError, match="zero_steps"):
        KLAnnealing("constant", zero_steps=-1)
