import { useId, useState } from 'preact/hooks';
import { ApiError } from '../api/apiError';
import type { Order, SagaStatus } from '../api/apiTypes';
import { ErrorNote } from '../components/ErrorNote';
import { href } from '../routing/hashRoute';
import { useSession } from '../session/session';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finds a saga by its saga id or its order id (GET /sagas/:id, then GET /orders/:id) and opens it. */
export function SagaSearch() {
  const { api } = useSession();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<unknown>(undefined);
  const inputId = useId();

  const search = async () => {
    const id = text.trim();
    setProblem(undefined);
    if (!uuid.test(id)) {
      setProblem(
        new ApiError(400, 'VALIDATION_FAILED', 'a saga id or an order id is a UUID, as POST /orders returns them'),
      );
      return;
    }
    try {
      const saga = await api.get<SagaStatus>(`/sagas/${id}`);
      location.hash = href.saga(saga.sagaId);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'NOT_FOUND')) return setProblem(error);
      try {
        const order = await api.get<Order>(`/orders/${id}`);
        location.hash = href.saga(order.sagaId);
      } catch (orderError) {
        setProblem(
          orderError instanceof ApiError && orderError.code === 'NOT_FOUND'
            ? new ApiError(404, 'NOT_FOUND', `no saga and no order has the id ${id}`)
            : orderError,
        );
      }
    }
  };

  return (
    <form
      class="search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        void search();
      }}
    >
      <label for={inputId}>Saga id or order id</label>
      <input
        id={inputId}
        name="id"
        type="search"
        autocomplete="off"
        spellcheck={false}
        value={text}
        onInput={(event) => setText((event.target as HTMLInputElement).value)}
      />
      <button type="submit">Open</button>
      <ErrorNote error={problem} />
    </form>
  );
}
