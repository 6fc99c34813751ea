import { useId, useState } from 'preact/hooks';
import type { InventoryItem } from '../api/apiTypes';
import { ErrorNote } from '../components/ErrorNote';
import { usePoll } from '../live/usePoll';
import { useSession } from '../session/session';
import { operatorOnly } from './operatorOnly';

/** Stock per sku (GET /inventory); an operator sets on hand (PUT /inventory/:sku). */
export function Inventory() {
  const { api } = useSession();
  const items = usePoll('inventory', () => api.get<{ items: InventoryItem[] }>('/inventory'));
  return (
    <section aria-labelledby="inventory-title">
      <h1 id="inventory-title">Inventory</h1>
      <ErrorNote error={items.error} />
      <div class="table-scroll">
        <table class="list" data-testid="inventory">
          <caption>Available is on hand less what open orders have reserved</caption>
          <thead>
            <tr>
              <th scope="col">sku</th>
              <th scope="col">name</th>
              <th scope="col">controlled</th>
              <th scope="col" class="number">
                on hand
              </th>
              <th scope="col" class="number">
                reserved
              </th>
              <th scope="col" class="number">
                available
              </th>
              <th scope="col">set on hand</th>
            </tr>
          </thead>
          <tbody>
            {items.data?.items.map((item) => (
              <InventoryRow key={item.sku} item={item} onSaved={items.refresh} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function InventoryRow({ item, onSaved }: { item: InventoryItem; onSaved(): void }) {
  const { api, role } = useSession();
  const [value, setValue] = useState(String(item.onHand));
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const blocked = operatorOnly(role);

  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.send('PUT', `/inventory/${encodeURIComponent(item.sku)}`, { onHand: Number(value) });
      onSaved();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr data-sku={item.sku}>
      <th scope="row" class="mono">
        {item.sku}
      </th>
      <td>{item.name}</td>
      <td>{item.controlled ? 'yes' : 'no'}</td>
      <td class="number" data-testid="on-hand">
        {item.onHand}
      </td>
      <td class="number">{item.reserved}</td>
      <td class="number">{item.available}</td>
      <td>
        <form
          class="inline"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <label for={inputId} class="visually-hidden">
            On hand for {item.sku}
          </label>
          <input
            id={inputId}
            type="number"
            min="0"
            step="1"
            required
            value={value}
            disabled={Boolean(blocked)}
            onInput={(event) => setValue((event.target as HTMLInputElement).value)}
          />
          <button type="submit" disabled={busy || Boolean(blocked)} title={blocked}>
            Save
          </button>
        </form>
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}
