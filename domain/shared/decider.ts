/**
 * An aggregate as a decider (Emmett): pure functions over a state folded from events.
 * `decide` checks its guards and returns the events a command causes (none when the command
 * has already been applied); `evolve` folds one event into the state.
 */
export interface Decider<Command, Event, State> {
  readonly initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

/** Folds events into a state from the decider's initial state. */
export function fold<Command, Event, State>(decider: Decider<Command, Event, State>, events: readonly Event[]): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState);
}
