// A render error shows a message and a way back, never a blank page.
import { Component, type ReactNode } from 'react';

interface State {
  error: Error | undefined;
}

/** Catches render errors below it. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: undefined };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="banner banner-error" role="alert">
        <p>Something went wrong while showing this page: {this.state.error.message}</p>
        <p>
          <a href="/">Back to the incident list</a> or reload the page.
        </p>
      </div>
    );
  }
}
